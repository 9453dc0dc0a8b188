#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <stdint.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
static char* prep(long len,int huge){
  char*m=mmap(0,len+2*MB,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*a=(char*)(((uintptr_t)m+2*MB-1)&~(2*MB-1));
  madvise(a,len,huge?MADV_HUGEPAGE:MADV_NOHUGEPAGE);
  madvise(a,len,23);
  for(long p=0;p<len;p+=4096) a[p]=1;
  return a;
}
static char* moved(char*a,long len){
  char*dst=mmap(0,len+2*MB,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*al=(char*)(((uintptr_t)dst+2*MB-1)&~(2*MB-1));
  return mremap(a,len,len,MREMAP_MAYMOVE|MREMAP_FIXED,al);
}
int main(int argc,char**argv){
  int idle=atoi(argv[1]);
  long len=4*MB;
  char*src=prep(len,0);
  char*h=prep(len,1), *s=prep(len,0);
  int fd=memfd_create("ring",0); ftruncate(fd,2*MB);
  char*ring=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(ring,0,2*MB);
  sleep(idle);
  double t;
  t=now(); memcpy(src,src+1,0); 
  char*hm=moved(h,len); t=now(); memcpy(hm,src,len); double a=now()-t; t=now(); memcpy(hm,src,len); double b=now()-t;
  printf("idle %d s: huge moved: first %.3f second %.3f\n",idle,a,b);
  char*sm=moved(s,len); t=now(); memcpy(sm,src,len); a=now()-t; t=now(); memcpy(sm,src,len); b=now()-t;
  printf("idle %d s: 4K moved: first %.3f second %.3f\n",idle,a,b);
  // ring written by a child through its own mapping, then read here
  if(fork()==0){char*w=mmap(0,2*MB,3,MAP_SHARED,fd,0); double t0=now(); memset(w,7,2*MB); double t1=now(); memset(w,8,2*MB); printf("child writes ring: first %.3f second %.3f\n",t1-t0,now()-t1); _exit(0);}
  wait(0);
  char*d=prep(len,1);
  t=now(); memcpy(d,ring,2*MB); a=now()-t; t=now(); memcpy(d,ring,2*MB); b=now()-t;
  printf("read ring (own mapping, idle %d s) after child wrote: first %.3f second %.3f\n",idle,a,b);
  return 0;
}
