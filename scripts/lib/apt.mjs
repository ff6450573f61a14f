// Finds a program from one of Debian's packages, installing the package with apt-get when the
// program is missing (CI runs as root on a fresh machine). Node built-ins only.
import { runOk, which } from './proc.mjs';

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];
const installing = new Map(); // package → its running install, so each is installed once
let updated = null; // one `apt-get update` per run

async function aptInstall(pkg, log) {
  if (process.getuid?.() !== 0) throw new Error(`${pkg} is missing: apt-get install ${pkg} (needs root)`);
  log(`${pkg} missing: installing Debian's ${pkg} package with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 2, 2]; // keep our stdout clean
  updated ??= runOk('apt-get', ['update'], { env, stdio });
  await updated;
  await runOk('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio });
}

/** Path of `name`, from Debian's package `pkg` (installed when missing). */
export async function aptBinary(pkg, name, log) {
  let bin = which(name, EXTRA_DIRS);
  if (bin) return bin;
  if (!installing.has(pkg))
    installing.set(
      pkg,
      aptInstall(pkg, log).finally(() => installing.delete(pkg)),
    );
  await installing.get(pkg);
  bin = which(name, EXTRA_DIRS);
  if (!bin) throw new Error(`${name} still missing after apt-get install ${pkg}`);
  return bin;
}
