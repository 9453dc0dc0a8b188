#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define N (4<<20)
int main(){
  int fd=memfd_create("x",0); ftruncate(fd,N); char*m=mmap(0,N,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0); memset(m,0,N);
  pwrite(fd,m,4096,0);
  for(int k=0;k<3;k++){
    char*a=mmap(0,N,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); memset(a,k+1,N);
    double t=now(); pwrite(fd,a,N,0); double t1=now(); pwrite(fd,a,N,0); double t2=now();
    printf("fresh buffer %d: first kernel copy %.2f ms, second %.2f ms\n",k,t1-t,t2-t1);
  }
  char*a=mmap(0,N,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); madvise(a,N,MADV_NOHUGEPAGE); memset(a,9,N);
  double t=now(); pwrite(fd,a,N,0); double t1=now(); printf("nohuge buffer: first %.2f ms\n",t1-t);
  a=mmap(0,N,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); madvise(a,N,MADV_HUGEPAGE); memset(a,9,N);
  t=now(); pwrite(fd,a,N,0); t1=now(); printf("huge buffer: first %.2f ms\n",t1-t);
  t=now(); memcpy(m,a,N); t1=now(); printf("user memcpy into mapped memfd: %.2f ms\n",t1-t);
  return 0;}
