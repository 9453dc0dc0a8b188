# per pattern,size: median over rounds of ratio_min; per pattern: geomean over sizes (and min/max per size)
BEGIN{FS=","}
NR>1 && FNR>1 { k=$2","$4; n[k]++; v[k,n[k]]=$5; if(!(k in seen)){seen[k]=1; keys[++nk]=k} }
END{
  for(i=1;i<=nk;i++){k=keys[i]; m=n[k]; for(a=1;a<=m;a++) s[a]=v[k,a]; for(a=1;a<=m;a++) for(b=a+1;b<=m;b++) if(s[b]<s[a]){t=s[a];s[a]=s[b];s[b]=t}
    med = (m%2) ? s[(m+1)/2] : (s[m/2]+s[m/2+1])/2; split(k,pp,","); p=pp[1];
    np[p]++; lg[p]+=log(med); if(!(p in ps)){ps[p]=1; pl[++npl]=p}; detail[p]=detail[p] sprintf(" %s:%.3f[%.2f..%.2f]", pp[2], med, s[1], s[m]); all+=log(med); na++ }
  for(j=1;j<=npl;j++){p=pl[j]; printf "%-13s %+.2f%%  %s\n", p, (exp(lg[p]/np[p])-1)*100, detail[p]}
  printf "ALL %+.2f%%\n", (exp(all/na)-1)*100
}
