'use strict';
// The install script's decision, from what it found (install.js gathers the facts and acts on this): a prebuilt
// addon for the LibTorch found, else a compile, and why. An addon already in build/Release that was built for
// another LibTorch is never just relinked to the one found: it is replaced, by a prebuild made for that LibTorch
// or by a compile, and the reason names both LibTorches (npx once ran this against another torch than the
// checkout's and left a 2.15 CUDA addon labelled 2.13 cpu).
const { variant } = require('./write-build-info');

const majorMinor = (version) => version.split('.').slice(0, 2).join('.');

/**
 * Why the addon in build/Release (`build`: its build-info, null when it has none or it is unreadable) does not
 * fit `torch` (find-libtorch's description), or null when it does: the same root, major.minor and variant (what
 * the load check and a prebuild's key ask; another patch release at the same root is accepted, as there).
 */
function staleAddon(build, torch) {
  if (!build) return 'the addon in build/Release has no readable build-info file saying which LibTorch it was built for';
  const found = variant(torch);
  if (build.root === torch.root && majorMinor(build.libtorch) === majorMinor(torch.version) && build.variant === found) return null;
  return `the addon in build/Release was built for LibTorch ${build.libtorch} (${build.variant}) at ${build.root}, not for the ` +
    `LibTorch ${torch.version} (${found}) found at ${torch.root} [${torch.source}] (to keep using that one, install with ` +
    `LIBTORCH=${build.root})`;
}

/**
 * `facts`: torch (found), key (its prebuild key), existing (null: no addon in build/Release, else { build }),
 * fromSource (asked for), dirs (searched for prebuilds) and found (findPrebuild's answer).
 * Returns { action: 'prebuild', file, replaces } (replaces: why the existing addon goes, or null) or
 * { action: 'source', why }.
 */
function installPlan({ torch, key, existing, fromSource, dirs, found }) {
  if (fromSource) return { action: 'source', why: 'a build from source was asked for' };
  const stale = existing ? staleAddon(existing.build, torch) : null;
  if (found.file) return { action: 'prebuild', file: found.file, replaces: stale };
  const none = `no prebuilt addon for ${key} in ${dirs.join(', ')}` + (found.others.length ? ` (there: ${found.others.join(', ')})` : '');
  return { action: 'source', why: stale ? `${stale}, and ${none}` : none };
}

module.exports = { installPlan, staleAddon };
