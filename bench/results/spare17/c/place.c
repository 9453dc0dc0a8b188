#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
static double wall(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static long tb0,tb1; static void* toucher(void*x){for(long p=tb0;p<tb1;p+=4096) ((volatile char*)p)[0]; return 0;}
#include <sys/resource.h>
static long flt(){struct rusage r;getrusage(RUSAGE_THREAD,&r);return r.ru_minflt;}
static double cpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
#define PG 4096L
static long front, back;
static int mv(long from,long to,long len){return mremap((void*)from,len,len,MREMAP_MAYMOVE|MREMAP_FIXED,(void*)to)==(void*)to;}
int main(int argc,char**argv){
  int mode=atoi(argv[1]); double idle=atof(argv[2]);
  /* ring first, written by a child (forked before anything else exists) */
  int fd=memfd_create("ring",0); ftruncate(fd,2*MB);
  char*ring=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(ring,0,2*MB);
  if(fork()==0){char*w=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(w,9,2*MB); _exit(0);} wait(0);
  /* prepared 64 MiB, THP, written */
  long len=64*MB; char*m=mmap(0,len+2*MB,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  front=((long)m+2*MB-1)&~(2*MB-1); back=front+len;
  madvise((void*)front,len,mode==3?MADV_NOHUGEPAGE:MADV_HUGEPAGE); madvise((void*)front,len,23);
  for(long p=front;p<back;p+=PG) *(long*)p=0;
  /* a "heap" array of 4 MB at an address 2 MiB-misaligned by 0x18 + 1.25 MiB */
  char*h=mmap(0,16*MB,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*arr=(char*)((((long)h+2*MB-1)&~(2*MB-1)) + 1280*1024 + 0x18);
  long alen=4*MB;
  usleep((useconds_t)(idle*1e6));
  double tt[3]={0,0,0};
  if(mode==3||mode==4){ long start=((long)arr+PG-1)&~(PG-1), end=((long)arr+alen)&~(PG-1); mv(front,start,end-start); front+=end-start; }
  else if(mode==1||mode==2||mode==5||mode==6){ /* Place: middle huge pages from the front, ends 4K from the back */
    long start=((long)arr+PG-1)&~(PG-1), end=((long)arr+alen)&~(PG-1);
    long ms=(start+2*MB-1)&~(2*MB-1), me=end&~(2*MB-1);
    if(me>ms){ mv(front,ms,me-ms); front+=me-ms; }
    long n=ms-start; if(n>0){ mv(back-n,start,n); back-=n; }
    n=end-me; if(n>0){ mv(back-n,me,n); back-=n; }
  }
  if(mode==2){ long start=((long)arr+PG-1)&~(PG-1), end=((long)arr+alen)&~(PG-1); long ms=(start+2*MB-1)&~(2*MB-1), me=end&~(2*MB-1);
    double t0=cpu(); for(long p=start;p<ms;p+=PG) ((volatile char*)p)[0]; double t1=cpu(); for(long p=ms;p<me;p+=PG) ((volatile char*)p)[0]; double t2=cpu(); for(long p=me;p<end;p+=PG) ((volatile char*)p)[0];
    printf("  touch: front end %ld KiB %.3f ms, huge middle %ld KiB %.3f ms, back end %ld KiB %.3f ms\n",(ms-start)/1024,t1-t0,(me-ms)/1024,t2-t1,(end-me)/1024,cpu()-t2); }
  double pop=0; if(mode==5){ long start=((long)arr+PG-1)&~(PG-1), end=((long)arr+alen)&~(PG-1); double t0=cpu(); madvise((void*)start,end-start,23); pop=cpu()-t0; }
  pthread_t th; if(mode==6){ long end=((long)arr+alen)&~(PG-1); tb0=end&~(2*MB-1); tb1=end; pthread_create(&th,0,toucher,0);} double w0=wall();
  long f0=flt(); double t=cpu(); for(long o=0;o<alen;o+=128*1024) memcpy(arr+o, ring+(o%(2*MB)), 128*1024); double a=cpu()-t; double wa=wall()-w0; if(mode==6) pthread_join(th,0);
  t=cpu(); for(long o=0;o<alen;o+=128*1024) memcpy(arr+o, ring+(o%(2*MB)), 128*1024); double b=cpu()-t;
  printf("mode %d idle %.1f s: copy 4 MB from the ring: first %.3f ms wall, %.3f ms cpu (%ld minor faults; populate %.3f ms), second %.3f\n",mode,idle,wa,a,flt()-f0,pop,b);
  return 0;
}
