#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <stdint.h>
#include <stdatomic.h>
static double cpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
#define RING (2*MB)
#define SLICE (128*1024)
#define TOTAL (4*MB)
static void pin(int c){cpu_set_t s;CPU_ZERO(&s);CPU_SET(c,&s);sched_setaffinity(0,sizeof s,&s);}
int main(int argc,char**argv){
  int wc=atoi(argv[1]), rc=atoi(argv[2]);
  int fd=memfd_create("ring",0); ftruncate(fd,4096+RING);
  volatile long*ctl=mmap(0,4096,3,MAP_SHARED,fd,0);
  char*mine=mmap(0,RING,3,MAP_SHARED,fd,4096); memset(mine,0,RING);
  char*src=malloc(TOTAL); memset(src,3,TOTAL);
  if(fork()==0){ pin(wc); char*w=mmap(0,RING,3,MAP_SHARED,fd,4096); memset(w,0,RING);
    usleep(100000); long off=0;
    while(off<TOTAL){ while(off-ctl[1]>=RING) sched_yield(); long at=off%RING; memcpy(w+at,src+off,SLICE); off+=SLICE; __atomic_store_n(&ctl[0],off,__ATOMIC_RELEASE);} _exit(0);}
  pin(rc); char*dst=malloc(TOTAL); memset(dst,1,TOTAL); memset(mine,0,RING);
  long pos=0; double copy=0, t0=now();
  while(pos<TOTAL){ long avail; while((avail=__atomic_load_n(&ctl[0],__ATOMIC_ACQUIRE))==pos) sched_yield(); 
    while(pos<avail){ long at=pos%RING; long n=avail-pos; if(n>RING-at) n=RING-at; if(n>256*1024) n=256*1024; double t=cpu(); memcpy(dst+pos,mine+at,n); copy+=cpu()-t; pos+=n; __atomic_store_n(&ctl[1],pos,__ATOMIC_RELEASE);} }
  printf("writer cpu %d reader cpu %d: reader copies %.3f ms, total %.3f ms\n",wc,rc,copy,now()-t0);
  wait(0); return 0;
}
