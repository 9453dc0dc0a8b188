// One-shot TCP transfer between namespace hosts: N bytes in W-byte writes, receiver reads R-byte
// pieces into one destination buffer (fresh mmap, or pre-touched). Prints ms and MB/s, syscalls.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/mman.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int argc,char**argv){
  // recv PORT N R RCVBUF TOUCH LOWAT   |  send HOST PORT N W SNDBUF
  if(!strcmp(argv[1],"recv")){
    int port=atoi(argv[2]); long n=atol(argv[3]); int r=atoi(argv[4]); int rb=atoi(argv[5]); int touch=atoi(argv[6]); int lowat=atoi(argv[7]);
    int l=socket(AF_INET,SOCK_STREAM,0); int one=1; setsockopt(l,SOL_SOCKET,SO_REUSEADDR,&one,4);
    struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port)}; bind(l,(void*)&a,sizeof a); listen(l,4);
    char*dst=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
    if(touch){madvise(dst,n,14); for(long i=0;i<n;i+=4096)dst[i]=1;}
    int s=accept(l,0,0); if(rb)setsockopt(s,SOL_SOCKET,SO_RCVBUF,&rb,4);
    fcntl(s,F_SETFL,O_NONBLOCK);
    int rounds=argc>8?atoi(argv[8]):1; for(int rd=0;rd<rounds;rd++){
    long got=0,calls=0,polls=0; double t0=0;
    while(got<n){ long want=n-got<r?n-got:r; if(lowat){int lw=want<lowat?want:lowat; setsockopt(s,SOL_SOCKET,SO_RCVLOWAT,&lw,4);}
      ssize_t k=recv(s,dst+got,want,0); calls++;
      if(k>0){ if(!t0)t0=now(); got+=k; continue;} if(k==0)break;
      if(errno==EAGAIN){struct pollfd p={s,POLLIN,0}; poll(&p,1,100); polls++; continue;} perror("recv"); return 1;}
    double t1=now(); send(s,"k",1,0);
    int q; socklen_t ql=4; getsockopt(s,SOL_SOCKET,SO_RCVBUF,&q,&ql);
    printf("recv round=%d bytes=%ld ms_from_first=%.1f MBps=%.0f recvs=%ld polls=%ld rcvbuf=%d\n",rd,got,t1-t0,got/1e3/(t1-t0),calls,polls,q);}
  } else {
    const char*host=argv[2]; int port=atoi(argv[3]); long n=atol(argv[4]); int w=atoi(argv[5]); int sb=atoi(argv[6]);
    char*src=malloc(n); memset(src,7,n);
    long warm=getenv("WARM_MB")?atol(getenv("WARM_MB"))<<20:0; char*wm=0;
    if(warm){wm=mmap(0,warm,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); for(long i=0;i<warm;i+=4096)wm[i]=1;}
    int s=socket(AF_INET,SOCK_STREAM,0); int one=1; setsockopt(s,IPPROTO_TCP,TCP_NODELAY,&one,4); if(sb)setsockopt(s,SOL_SOCKET,SO_SNDBUF,&sb,4);
    struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port)}; inet_pton(AF_INET,host,&a.sin_addr);
    for(int i=0;i<50&&connect(s,(void*)&a,sizeof a);i++){usleep(20000); close(s); s=socket(AF_INET,SOCK_STREAM,0);setsockopt(s,IPPROTO_TCP,TCP_NODELAY,&one,4); if(sb)setsockopt(s,SOL_SOCKET,SO_SNDBUF,&sb,4);}
    usleep(100000); // idle a little like the doorbell conn
    if(warm){double a=now(); munmap(wm,warm); fprintf(stderr,"munmap %.1f ms\n",now()-a);}
    int rounds=argc>7?atoi(argv[7]):1; for(int rd=0;rd<rounds;rd++){
    fcntl(s,F_SETFL,O_NONBLOCK);
    double t0=now(); long sent=0,calls=0,polls=0;
    while(sent<n){ long want=n-sent<w?n-sent:w; ssize_t k=send(s,src+sent,want,0); calls++;
      if(k>0){sent+=k;continue;} if(errno==EAGAIN){struct pollfd p={s,POLLOUT,0}; poll(&p,1,100); polls++; continue;} perror("send"); return 1;}
    double t1=now(); char c; fcntl(s,F_SETFL,0); recv(s,&c,1,0); double t2=now();
    printf("send round=%d bytes=%ld ms_written=%.1f ms_acked=%.1f MBps=%.0f sends=%ld polls=%ld\n",rd,sent,t1-t0,t2-t0,sent/1e3/(t2-t0),calls,polls);}
  }
  return 0;
}
