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
  int fd=memfd_create("r",0); ftruncate(fd,N/2); char*m=mmap(0,N/2,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0); memset(m,0,N/2);
  char*dst=malloc(N); memset(dst,1,N);
  double t=now(); memcpy(dst,m,N/2); memcpy(dst+N/2,m,N/2); __asm__ volatile("" ::: "memory"); printf("hot: 4MB from ring mapping %.2f ms\n", now()-t);
  for (int s=1;s<=3;s+=2){ 
    char*churn=malloc(256<<20); 
    double e=now()+s*1000; while(now()<e){ memset(churn,2,64<<20); usleep(10000);} free(churn);
    t=now(); memcpy(dst,m,N/2); memcpy(dst+N/2,m,N/2); __asm__ volatile("" ::: "memory"); printf("after %d s of cache churn + sleeps: %.2f ms\n", s, now()-t);
    sleep(s);
    t=now(); memcpy(dst,m,N/2); memcpy(dst+N/2,m,N/2); __asm__ volatile("" ::: "memory"); printf("after %d s idle sleep: %.2f ms\n", s, now()-t);
  }
  printf("%d\n", dst[12345]); return 0;}
