// A fake LibTorch tree of empty files that scripts/find-libtorch.js takes for one: nothing in it is loadable,
// and nothing links into a real LibTorch.
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './fixtures';

/**
 * A directory that passes as a LibTorch root; `cuda` adds lib/libtorch_cuda.so, `cxx20` the 2.14+ header guard,
 * `version` a version header saying it.
 */
export function fakeLibTorch(options: { cuda?: boolean; cxx20?: boolean; version?: string } = {}): string {
  const root = path.join(tempDir('fake-torch'), 'torch');
  const write = (file: string, text = '') => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('include/torch/csrc/api/include/torch/torch.h');
  write('lib/libtorch_cpu.so');
  write('include/ATen/ATen.h', options.cxx20 ? '#if !defined(_MSC_VER) && __cplusplus < 202002L\n#error C++20\n#endif\n' : '#pragma once\n');
  if (options.cuda) write('lib/libtorch_cuda.so');
  if (options.version) {
    const [major, minor, patch] = options.version.split('.');
    write('include/torch/headeronly/version.h',
      `#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n`);
  }
  return root;
}
