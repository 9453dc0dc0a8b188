#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
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
static double touch(char*a,long len){double t=now();for(long p=0;p<len;p+=4096) ((volatile char*)a)[p]+=1;return now()-t;}
int main(int argc,char**argv){
  double idle=atof(argv[1]); int mode=atoi(argv[2]); // 0 sleep, 1 busy loop, 2 sleep with re-touch every 250ms
  long len=4*MB;
  char*src=prep(len,0), *h=prep(len,1), *s=prep(len,0);
  double end=now()+idle*1000, t;
  if(mode==0) usleep((useconds_t)(idle*1e6));
  else if(mode==1) while(now()<end);
  else { double rt=0; int n=0; while(now()<end){ usleep(250000); rt+=touch(h,len)+touch(s,len)+touch(src,len); n++;} printf("  retouch rounds %d avg %.3f ms\n", n, n?rt/n:0); }
  t=now(); memcpy(h,src,len); double a=now()-t;
  t=now(); memcpy(s,src,len); double b=now()-t;
  printf("idle %.2f s mode %d: memcpy 4MB into huge %.3f ms, into 4K %.3f ms\n",idle,mode,a,b);
  return 0;
}
