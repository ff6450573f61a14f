// Compares two package-lock.json texts, ignoring what depends only on what the registry serves.
// Node built-ins only: this runs before `npm install`.

/**
 * True for a lock entry npm installs only on another platform: an optional package whose
 * `os`/`cpu`/`libc` list excludes this machine. Whether the registry serves such packages
 * changes from day to day here, and npm writes or drops their entries accordingly; none of
 * them is ever installed on this machine, so they never make a lock wrong for it.
 */
export function isOtherPlatformOptional(entry, platform = process.platform, arch = process.arch) {
  if (!entry || !entry.optional) return false;
  const excludes = (list, value) => {
    if (!Array.isArray(list) || list.length === 0) return false;
    const allowed = list.filter((v) => !v.startsWith('!'));
    if (list.includes(`!${value}`)) return true;
    return allowed.length > 0 && !allowed.includes(value);
  };
  return excludes(entry.os, platform) || excludes(entry.cpu, arch);
}

/**
 * What differs between two locks once other platforms' optional entries are set aside:
 * a list of `node_modules/...` paths (or top-level fields) that were added, removed or changed.
 * Empty means the two locks install the same tree on this machine.
 */
export function lockDifferences(beforeText, afterText, platform, arch) {
  const before = JSON.parse(beforeText);
  const after = JSON.parse(afterText);
  const diffs = [];
  for (const field of ['name', 'lockfileVersion']) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) diffs.push(field);
  }
  const a = before.packages || {};
  const b = after.packages || {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const ignorable = (e) => e === undefined || isOtherPlatformOptional(e, platform, arch);
    if (ignorable(x) && ignorable(y)) continue;
    diffs.push(`${x === undefined ? 'added' : y === undefined ? 'removed' : 'changed'} ${key || '(root)'}`);
  }
  return diffs;
}
