#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define N (2<<20)
int main(){
  int p1[2],p2[2]; pipe(p1); pipe(p2);
  pid_t pid=fork();
  if(pid==0){ // owner (spare)
    int fd=memfd_create("ring",0); ftruncate(fd,4096+N);
    char*m=mmap(0,N,PROT_READ|PROT_WRITE,MAP_SHARED,fd,4096); memset(m,0,N);
    char*dst=malloc(8*N); memset(dst,1,8*N);
    struct {int fd; void*a;} msg={fd,m}; write(p1[1],&msg,sizeof msg);
    char c; 
    for(int it=0;it<3;it++){ read(p2[0],&c,1);
      double t=now(); for(int lap=0;lap<2;lap++) memcpy(dst+lap*N,m,N); double t1=now();
      for(int lap=0;lap<2;lap++) pread(fd,dst+(2+lap)*N,N,4096); double t2=now();
      printf("owner: memcpy from own mapping 4MB %.2f ms, pread 4MB %.2f ms\n",t1-t,t2-t1); fflush(stdout);
      write(p1[1],&c,1);}
    _exit(0);
  }
  struct {int fd; void*a;} msg; read(p1[0],&msg,sizeof msg);
  char*src=malloc(N*2); memset(src,3,N*2);
  char path[64]; sprintf(path,"/proc/%d/fd/%d",pid,msg.fd);
  for(int it=0;it<3;it++){
    double t=now();
    for(int lap=0;lap<2;lap++) for(int off=0;off<N;off+=256<<10){ struct iovec l={src+lap*N+off,256<<10}, r={(char*)msg.a+off,256<<10}; if(process_vm_writev(pid,&l,1,&r,1,0)<0){perror("pvw");} }
    double t1=now();
    int fd=open(path,O_RDWR); char*m2=mmap(0,N,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,4096); double t2=now();
    for(int lap=0;lap<2;lap++) memcpy(m2,src+lap*N,N); double t3=now(); munmap(m2,N); close(fd);
    printf("writer: process_vm_writev 4MB %.2f ms; new mapping open+map %.2f ms, write 4MB %.2f ms\n",t1-t,t2-t1,t3-t2); fflush(stdout);
    char c='x'; write(p2[1],&c,1); read(p1[0],&c,1);
  }
  wait(0); return 0;
}
