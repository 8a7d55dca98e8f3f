{
  "targets": [
    {
      "target_name": "lrlab",
      "sources": ["native/src/addon.cc", "native/src/normalFill.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node -p \"process.env.LRLAB_TORCH_INCLUDE || '/usr/include /usr/include/torch/csrc/api/include'\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!(node -p \"process.env.LRLAB_TORCH_LIB || '/usr/lib/x86_64-linux-gnu'\")",
        "-Wl,-rpath,<!(node -p \"process.env.LRLAB_TORCH_LIB || '/usr/lib/x86_64-linux-gnu'\")",
        "-Wl,--no-as-needed",
        "-ltorch", "-ltorch_cpu", "-lc10",
        "<!@(node -p \"process.env.LRLAB_TORCH_EXTRA_LIBS || ''\")"
      ]
    }
  ]
}
