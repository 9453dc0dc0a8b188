#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
static double cpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
int main(){
  int fd=memfd_create("ring",0); ftruncate(fd,2*MB);
  char*mine=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(mine,0,2*MB);
  char*dst=malloc(4*MB); memset(dst,1,4*MB);
  double t=cpu(); memcpy(dst,mine,2*MB); printf("own ring -> dst (own writes): %.3f ms\n",cpu()-t);
  if(fork()==0){ char*w=mmap(0,2*MB,3,MAP_SHARED,fd,0); double t=cpu(); memset(w,5,2*MB); double a=cpu()-t; t=cpu(); memset(w,6,2*MB); fprintf(stderr,"child writes 2MB via own mapping: first %.3f second %.3f\n",a,cpu()-t); _exit(0);}
  wait(0);
  t=cpu(); memcpy(dst,mine,2*MB); double a=cpu()-t; t=cpu(); memcpy(dst+2*MB,mine,2*MB);
  printf("own ring -> dst after child wrote: first %.3f second %.3f (check %d)\n",a,cpu()-t,dst[5]);
  if(fork()==0){ char*w=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(w,7,2*MB); _exit(0);}
  wait(0);
  t=cpu(); volatile long s=0; for(long i=0;i<2*MB;i+=64) s+=mine[i]; printf("own ring read-only scan after child wrote: %.3f ms\n",cpu()-t);
  return 0;
}
