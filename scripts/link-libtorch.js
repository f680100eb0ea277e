'use strict';
// The addon finds LibTorch through one symbolic link beside it: pof_torch.libtorch -> LibTorch's lib/
// (both builds give the addon the RUNPATH $ORIGIN/pof_torch.libtorch). So a prebuilt addon loads against
// this machine's LibTorch wherever it is, and lib/build-info.ts can tell which LibTorch that is, and
// whether it is still the one built for, before loading it.
const fs = require('fs');
const path = require('path');

const LIBTORCH_LINK = 'pof_torch.libtorch';

/** Points `dir`/pof_torch.libtorch at `libDir`, replacing an older link at once (rename); returns the link. */
function linkLibTorch(dir, libDir) {
  const link = path.join(dir, LIBTORCH_LINK);
  const temporary = `${link}.tmp-${process.pid}`;
  fs.rmSync(temporary, { force: true });
  fs.symlinkSync(libDir, temporary, 'dir');
  fs.renameSync(temporary, link);
  return link;
}

module.exports = { linkLibTorch, LIBTORCH_LINK };
