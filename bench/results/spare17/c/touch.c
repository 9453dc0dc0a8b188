#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <stdint.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
static char* prep(long len,int huge){
  char*m=mmap(0,len+2*MB,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*a=(char*)(((uintptr_t)m+2*MB-1)&~(2*MB-1));
  if(huge) madvise(a,len,MADV_HUGEPAGE); else madvise(a,len,MADV_NOHUGEPAGE);
  madvise(a,len,23);
  for(long p=0;p<len;p+=4096) a[p]=1;
  return a;
}
static double touch(char*a,long len){double t=now();volatile char s=0;for(long p=0;p<len;p+=4096) s+=a[p];return now()-t;}
static double copy(char*d,char*s,long len){double t=now();memcpy(d,s,len);return now()-t;}
int main(){
  long len=4*MB;
  char*src=prep(len,0);
  for(int huge=0;huge<2;huge++){
    char*a=prep(len,huge);
    printf("huge=%d in place: touch %.3f ms, again %.3f\n",huge,touch(a,len),touch(a,len));
    char*dst=mmap(0,len+2*MB,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
    char*al=(char*)(((uintptr_t)dst+2*MB-1)&~(2*MB-1));
    char*r=mremap(a,len,len,MREMAP_MAYMOVE|MREMAP_FIXED,al);
    printf("huge=%d after mremap: touch %.3f ms, again %.3f ms\n",huge,touch(r,len),touch(r,len));
    char*b=prep(len,huge);
    char*dst2=mmap(0,len+2*MB,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
    char*al2=(char*)(((uintptr_t)dst2+2*MB-1)&~(2*MB-1));
    char*r2=mremap(b,len,len,MREMAP_MAYMOVE|MREMAP_FIXED,al2);
    printf("huge=%d after mremap: memcpy 4MB %.3f ms, again %.3f ms\n",huge,copy(r2,src,len),copy(r2,src,len));
    char*c=prep(len,huge);
    printf("huge=%d in place memcpy %.3f again %.3f\n",huge,copy(c,src,len),copy(c,src,len));
  }
  char*f=mmap(0,len,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  printf("fresh 4K memcpy %.3f again %.3f\n",copy(f,src,len),copy(f,src,len));
  return 0;
}
