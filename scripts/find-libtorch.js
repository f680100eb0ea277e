#!/usr/bin/env node
'use strict';
// Finds the LibTorch on this machine (never downloads one). Both builds call this script:
// CMakeLists.txt (cmake-js) and binding.gyp (node-gyp), so they link the very same library.
//
// Order: 1. LIBTORCH (a LibTorch root, or an installed Python `torch` package directory)
//        2. Torch_DIR / CMAKE_PREFIX_PATH (cmake-style locations)
//        3. the `torch` package of the `python3` on PATH
//
// Usage: node scripts/find-libtorch.js [--json | --field NAME]
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { LIBTORCH_LINK } = require('./link-libtorch');

const HOW_TO = [
  'pof-torch could not find LibTorch. Give it one of these three ways:',
  '  1. LIBTORCH=/path/to/libtorch   (an unzipped LibTorch download, or a Python torch package dir,',
  '                                   e.g. $(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))"))',
  '  2. Torch_DIR=/path/to/libtorch/share/cmake/Torch  or  CMAKE_PREFIX_PATH=/path/to/libtorch',
  '  3. a python3 on PATH with torch installed   (e.g. pip install torch==2.13.0)',
  'To get one: pip install torch --index-url https://download.pytorch.org/whl/cpu   (CPU only), or',
  '            pip install torch --index-url https://download.pytorch.org/whl/cu128 (CUDA 12.8; cu126, cu130, ... likewise),',
  '            or a LibTorch zip (CPU or a CUDA version) from https://pytorch.org/get-started/locally/ (Package: LibTorch).',
].join('\n');

/** A directory is a LibTorch root when it has the headers and the core library. */
function isLibTorchRoot(dir) {
  return !!dir &&
    fs.existsSync(path.join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h')) &&
    fs.existsSync(path.join(dir, 'lib', libName('torch_cpu')));
}

function libName(name) {
  if (process.platform === 'darwin') return `lib${name}.dylib`;
  if (process.platform === 'win32') return `${name}.lib`;
  return `lib${name}.so`;
}

/** share/cmake/Torch -> root; a prefix -> root. */
function rootFromCmakeDir(dir) {
  for (const candidate of [dir, path.resolve(dir, '..', '..', '..'), path.join(dir, 'torch')]) {
    if (isLibTorchRoot(candidate)) return candidate;
  }
  return null;
}

function fromEnvLibtorch() {
  const dir = process.env.LIBTORCH;
  if (!dir) return null;
  if (isLibTorchRoot(dir)) return { root: path.resolve(dir), source: 'LIBTORCH' };
  throw new Error(`LIBTORCH=${dir} is not a LibTorch root: expected include/torch/csrc/api/include/torch/torch.h ` +
    `and lib/${libName('torch_cpu')} inside it.\n\n${HOW_TO}`);
}

function fromCmakeVars() {
  const dirs = [];
  if (process.env.Torch_DIR) dirs.push(process.env.Torch_DIR);
  if (process.env.CMAKE_PREFIX_PATH) dirs.push(...process.env.CMAKE_PREFIX_PATH.split(path.delimiter));
  for (const d of dirs.filter(Boolean)) {
    const root = rootFromCmakeDir(path.resolve(d));
    if (root) return { root, source: process.env.Torch_DIR === d ? 'Torch_DIR' : 'CMAKE_PREFIX_PATH' };
  }
  return null;
}

function fromPython() {
  for (const py of ['python3', 'python']) {
    try {
      const out = execFileSync(py, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__))'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (isLibTorchRoot(out)) return { root: out, source: `${py} torch package` };
    } catch { /* no such python, or no torch in it */ }
  }
  return null;
}

function readVersion(root) {
  const header = path.join(root, 'include', 'torch', 'headeronly', 'version.h');
  const legacy = path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
  for (const file of [header, legacy]) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const part = (p) => (text.match(new RegExp(`#define TORCH_VERSION_${p} (\\d+)`)) || [])[1];
    if (part('MAJOR')) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  }
  return 'unknown';
}

/** Flags TorchConfig.cmake asks of every consumer (the C++11 ABI setting on old builds). */
function requiredCxxFlags(root) {
  const config = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
  if (!fs.existsSync(config)) return [];
  const m = fs.readFileSync(config, 'utf8').match(/set\(TORCH_CXX_FLAGS "([^"]*)"\)/);
  return m ? m[1].split(/\s+/).filter(Boolean) : [];
}

/** The CUDA version a LibTorch was built for ('13.0' from a pip torch's version.py), or null if unknown. */
function torchCudaVersion(root) {
  const file = path.join(root, 'version.py');
  const m = fs.existsSync(file) && fs.readFileSync(file, 'utf8').match(/^cuda\b[^=\n]*=\s*'(\d+\.\d+)/m);
  return m ? m[1] : null;
}

/** Its major version ('13'), or null. */
function torchCudaMajor(root) {
  const version = torchCudaVersion(root);
  return version ? version.split('.')[0] : null;
}

/** The CUDA major version of the headers in `dir` (CUDART_VERSION 13000 -> '13'), or null. */
function headersCudaMajor(dir) {
  const m = fs.readFileSync(path.join(dir, 'cuda_runtime_api.h'), 'utf8').match(/#define\s+CUDART_VERSION\s+(\d+)/);
  return m ? String(Math.floor(Number(m[1]) / 1000)) : null;
}

/**
 * The CUDA runtime headers for a CUDA LibTorch (c10's sync-debug mode and memory statistics need them):
 * CUDA_HOME, a pip torch's nvidia/<package>/include, or /usr/local/cuda; complete ones only, and of
 * the LibTorch's CUDA major version where both are known. Null if none.
 */
function cudaIncludeDir(root) {
  const candidates = process.env.CUDA_HOME ? [path.join(process.env.CUDA_HOME, 'include')] : [];
  const nvidia = path.join(root, '..', 'nvidia');  // pip wheels: nvidia/cu13/include, nvidia/cuda_runtime/include
  if (fs.existsSync(nvidia)) {
    for (const entry of fs.readdirSync(nvidia).sort()) candidates.push(path.join(nvidia, entry, 'include'));
  }
  candidates.push('/usr/local/cuda/include');
  // Complete toolkits only: a pip runtime package may lack crt/host_config.h, which cuda_runtime.h includes.
  const complete = (dir) => ['cuda_runtime_api.h', path.join('crt', 'host_config.h')].every((f) => fs.existsSync(path.join(dir, f)));
  const wanted = torchCudaMajor(root);
  const matches = (dir) => wanted === null || [wanted, null].includes(headersCudaMajor(dir));
  return candidates.find((dir) => complete(dir) && matches(dir)) || null;
}

/** Directories the compiler searches by itself: naming them with -isystem would break #include_next. */
const SYSTEM_INCLUDE_DIRS = ['/usr/include', '/usr/local/include'];

/**
 * The Gloo headers that c10d's ProcessGroupGloo.hpp includes (the torch wheel ships c10d's headers and
 * Gloo's code, not Gloo's headers): GLOO_INCLUDE_DIR, the LibTorch's own include/, or the system's
 * (Debian/Ubuntu: libgloo-dev). Null if none: the addon is built without data parallelism.
 */
function glooIncludeDir(root) {
  const has = (dir) => fs.existsSync(path.join(dir, 'gloo', 'config.h')) && fs.existsSync(path.join(dir, 'gloo', 'allreduce.h'));
  const given = process.env.GLOO_INCLUDE_DIR;
  if (given) {
    if (has(given)) return path.resolve(given);
    throw new Error(`GLOO_INCLUDE_DIR=${given} holds no gloo/config.h and gloo/allreduce.h: give the directory that contains ` +
      'the gloo/ header folder, or leave it unset (then pof-torch looks in LibTorch and /usr/include, e.g. from ' +
      'apt-get install libgloo-dev).');
  }
  return [path.join(root, 'include'), ...SYSTEM_INCLUDE_DIRS].find(has) || null;
}

/** Where cusparse.h is: `cudaInclude` itself ('' then: nothing to add), a pip torch's nvidia/<package>/include, or undefined. */
function cudaLibraryIncludeDir(root, cudaInclude) {
  if (cudaInclude && fs.existsSync(path.join(cudaInclude, 'cusparse.h'))) return '';
  const nvidia = path.join(root, '..', 'nvidia');
  if (!fs.existsSync(nvidia)) return undefined;
  return fs.readdirSync(nvidia).sort().map((p) => path.join(nvidia, p, 'include')).find((d) => fs.existsSync(path.join(d, 'cusparse.h')));
}

/** NCCL's header for c10d's ProcessGroupNCCL on a CUDA LibTorch: a pip torch's nvidia/nccl, CUDA_HOME, or the system's. */
function ncclIncludeDir(root) {
  const candidates = [path.join(root, '..', 'nvidia', 'nccl', 'include')];
  if (process.env.CUDA_HOME) candidates.push(path.join(process.env.CUDA_HOME, 'include'));
  candidates.push(...SYSTEM_INCLUDE_DIRS);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'nccl.h'))) || null;
}

/**
 * Data parallelism (c10d) when its headers are here, unless POF_DISTRIBUTED=0. The defines must reach every
 * file of the addon: they change the layout of LibTorch classes that the JIT headers declare.
 */
function distributedBuild(root, cuda, cudaInclude) {
  const none = { distributed: false, distributedDefines: [], distributedIncludeDirs: [], nccl: false };
  if (process.env.POF_DISTRIBUTED === '0') return none;
  const c10d = path.join(root, 'include', 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp');
  const gloo = glooIncludeDir(root);
  if (!gloo || !fs.existsSync(c10d)) return none;
  // ProcessGroupNCCL.hpp includes ATen/cuda headers that want cuSPARSE's and cuBLAS's headers too: a pip
  // torch's runtime headers may lack them, its nvidia/*/include have them.
  const libraries = cudaLibraryIncludeDir(root, cudaInclude);
  const nccl = cuda && libraries !== undefined ? ncclIncludeDir(root) : null;
  const dirs = [gloo, ...(nccl ? [nccl, libraries] : [])]
    .filter((d) => d && !SYSTEM_INCLUDE_DIRS.includes(d) && d !== path.join(root, 'include') && d !== cudaInclude);
  return {
    distributed: true,
    distributedDefines: ['USE_DISTRIBUTED', 'USE_C10D_GLOO', ...(nccl ? ['USE_C10D_NCCL'] : [])],
    distributedIncludeDirs: [...new Set(dirs)],
    nccl: nccl !== null,
  };
}

/** 20 when the LibTorch headers insist on C++20 (LibTorch 2.14 and later), else 17. */
function cxxStandard(root) {
  const headers = [path.join(root, 'include', 'ATen', 'ATen.h'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'all.h')];
  return headers.some((h) => fs.existsSync(h) && /__cplusplus < 202002L/.test(fs.readFileSync(h, 'utf8'))) ? 20 : 17;
}

/** Whether the LibTorch at `root` is a CUDA build (it has torch_cuda). */
function isCudaLibTorch(root) {
  return fs.existsSync(path.join(root, 'lib', libName('torch_cuda')));
}

function describe(found) {
  const root = found.root;
  const lib = path.join(root, 'lib');
  const cuda = isCudaLibTorch(root);
  const cudaInclude = cuda ? cudaIncludeDir(root) : null;
  const distributed = distributedBuild(root, cuda, cudaInclude);
  return {
    root,
    source: found.source,
    version: readVersion(root),
    cuda,
    includeDirs: [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')]
      .concat(cudaInclude ? [cudaInclude] : [], distributed.distributedIncludeDirs),
    /** Where the CUDA runtime headers are (null: none found, or a CPU LibTorch). */
    cudaInclude,
    libDir: lib,
    // torch_cuda / c10_cuda are linked only when present; the build keeps them with --no-as-needed
    libs: ['c10', 'torch_cpu', 'torch'].concat(cuda ? ['torch_cuda', 'c10_cuda'] : []),
    cxxFlags: requiredCxxFlags(root),
    cxxStandard: cxxStandard(root),
    /** Whether the addon is built with data parallelism (c10d: Gloo, and NCCL on CUDA), and how. */
    ...distributed,
  };
}

function findLibTorch() {
  const found = fromEnvLibtorch() || fromCmakeVars() || fromPython();
  if (!found) throw new Error(HOW_TO);
  return describe(found);
}

module.exports = { findLibTorch, torchCudaVersion, readVersion, isCudaLibTorch, HOW_TO };

if (require.main === module) {
  try {
    const info = findLibTorch();
    const i = process.argv.indexOf('--field');
    if (i >= 0) {
      const value = info[process.argv[i + 1]];
      process.stdout.write(Array.isArray(value) ? value.join(' ') : String(value));
    } else if (process.argv.includes('--gyp-libs')) {
      // node-gyp: -L, -l and the RUNPATH through the link beside the addon (link-libtorch.js). gyp drops the
      // quotes, make turns $$ into $, the shell \$ into a literal $: the linker gets $ORIGIN.
      const keep = info.cuda ? ['-Wl,--no-as-needed'] : [];
      process.stdout.write([`-L${info.libDir}`, `-Wl,-rpath,'\\$$ORIGIN/${LIBTORCH_LINK}'`, ...keep,
        ...info.libs.map((l) => `-l${l}`), ...(info.cuda ? ['-Wl,--as-needed'] : [])].join(' '));
    } else {
      process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    }
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
