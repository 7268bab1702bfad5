{
  "targets": [
    {
      "target_name": "sbert_gemm",
      "sources": ["src/binding.c", "src/gemm.c", "src/ukr.c", "src/pool.c", "src/ops.c", "src/peak.c", "src/heap.c", "src/gelu-avx512.c", "src/dropout-jump.c", "src/attention.c"],
      "cflags": ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-math-errno"],
      "cflags!": ["-O2", "-O0"],
      "conditions": [
        ["OS != 'win'", { "libraries": ["-lpthread", "-lm"] }],
        ["OS == 'mac'", { "xcode_settings": { "GCC_OPTIMIZATION_LEVEL": "3", "OTHER_CFLAGS": ["-std=gnu11", "-ffp-contract=off", "-fno-math-errno"] } }]
      ]
    }
  ]
}
