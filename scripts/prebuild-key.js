'use strict';
// The name of a prebuilt addon says everything its ABI depends on, the way PyTorch extension wheels are
// named: LibTorch's major.minor version and variant (cpu, cu128, cu130, ...), the C++ ABI, platform, arch,
// libc and Node-API version, e.g. pof-torch-v0.1.0-torch2.13-cpu-cxx11abi-linux-x64-glibc-napi8.tar.gz.
// A prebuild fits a LibTorch of the same major.minor and variant (lib/build-info.ts checks the same at load).
const { PACKAGE, variant, cxx11Abi } = require('./write-build-info');

/** 'glibc' or 'musl' on Linux; '' elsewhere (the platform says it). */
function libc() {
  if (process.platform !== 'linux') return '';
  return process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The key of an addon built for `torch` (find-libtorch's description) on this machine. */
function prebuildKey(torch) {
  const [major, minor] = torch.version.split('.');
  return [`torch${major}.${minor}`, variant(torch), cxx11Abi(torch) ? 'cxx11abi' : 'precxx11abi', process.platform,
    process.arch, libc(), `napi${PACKAGE.binary.napi_versions[0]}`].filter(Boolean).join('-');
}

/** The prebuild's file name: this package's version and the key. */
function prebuildFileName(key) {
  return `${PACKAGE.name}-v${PACKAGE.version}-${key}.tar.gz`;
}

module.exports = { prebuildKey, prebuildFileName, PACKAGE };
