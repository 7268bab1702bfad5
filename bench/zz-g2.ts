import { loadFastKernel, setFastKernelThreads } from "../src/tensor/kernels-fast.js";
const k = loadFastKernel()!;
let tot1 = 0, tot2 = 0;
function bench(m:number,kk:number,n:number, op: "NT"|"NN"|"TN"){
  const a=new Float32Array(m*kk).map(()=>Math.random()), b=new Float32Array(n*kk).map(()=>Math.random()), c=new Float32Array(m*n);
  const res: number[] = [];
  for (const t of [1,2]) { setFastKernelThreads(t);
  let best=1e9;
  for(let r=0;r<25;r++){ const t0=performance.now(); if(op==="NT")k.gemmNT(a,b,c,m,kk,n); else if (op==="NN") k.gemmNN(a,b,c,m,kk,n); else k.gemmTN!(a,b,c,m,kk,n); const d=performance.now()-t0; if(r>2){best=Math.min(best,d);} }
  res.push(best); }
  tot1 += res[0]!; tot2 += res[1]!;
  return `${op} ${m}x${kk}x${n}: ${(2*m*kk*n/res[0]!/1e6).toFixed(0)}/${(2*m*kk*n/res[1]!/1e6).toFixed(0)}`;
}
const s = [bench(310,384,1536,"NT"), bench(310,1536,384,"NT"), bench(310,384,384,"NT"), bench(310,1536,384,"NN"), bench(310,384,1536,"NN"), bench(1536,310,384,"TN"), bench(384,310,1536,"TN"), bench(384,310,384,"TN")].join(" | ");
console.log(s, ` || sum 1t ${tot1.toFixed(2)} ms 2t ${tot2.toFixed(2)} ms ratio ${(tot1/tot2).toFixed(2)}`);
