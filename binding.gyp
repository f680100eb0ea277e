{
  # node-gyp build of the same sources as CMakeLists.txt, fed by the same LibTorch discovery script.
  # Build it with `npm run build:gyp` (or `npx node-gyp rebuild`).
  "targets": [
    {
      "target_name": "pof_torch",
      "variables": {
        "torch_cuda": "<!(node scripts/find-libtorch.js --field cuda)"
      },
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native', { recursive: true }).filter(f => f.endsWith('.cc')).map(f => 'native/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/find-libtorch.js --field includeDirs)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NODE_ADDON_API_DISABLE_DEPRECATED",
                  "<!@(node scripts/find-libtorch.js --field distributedDefines)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++<!(node scripts/find-libtorch.js --field cxxStandard)", "-fexceptions", "-frtti", "-O3", "-Wno-unused-parameter", "-Wno-c++20-extensions",
                    "<!@(node scripts/find-libtorch.js --field cxxFlags)"],
      "libraries": ["<!@(node scripts/find-libtorch.js --gyp-libs)"],
      "conditions": [
        ["torch_cuda=='true'", { "defines": ["POF_WITH_CUDA=1"] }]
      ]
    }
  ]
}
