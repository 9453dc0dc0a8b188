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
static double touch(char*a,long len,int write){double t=now();for(long p=0;p<len;p+=4096) if(write) ((volatile char*)a)[p]+=1; else (void)((volatile char*)a)[p];return now()-t;}
int main(int argc,char**argv){
  int interval=atoi(argv[1]); int write=atoi(argv[2]); int huge=atoi(argv[3]);
  long len=16*MB;
  char*h=prep(len,huge);
  printf("interval %d ms write %d huge %d: per round ms (16 MB):", interval, write, huge);
  double sum=0;
  for(int i=0;i<12;i++){ usleep(interval*1000); double t=touch(h,len,write); sum+=i>=2?t:0; printf(" %.2f",t);}
  printf("  | avg rounds 3-12 %.2f\n", sum/10);
  return 0;
}
