// The test suite uses system tools as independent peers: openssl (the X.509 oracle),
// CFSSL's `cfssl serve` (a real CA for the agent) and redis-server (the shared store of
// @mtlskit/server replicas). On a fresh Debian machine where the
// tests run as root, install the missing ones with apt-get; elsewhere say what to install.
import { execFileSync } from 'node:child_process';

const tools = [
  { command: 'openssl', pkg: 'openssl' },
  { command: 'cfssl', pkg: 'golang-cfssl' },
  { command: 'redis-server', pkg: 'redis-server' },
];
const has = (command) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = tools.filter((t) => !has(t.command));
if (missing.length > 0) {
  const pkgs = missing.map((t) => t.pkg);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.log(`test tools: installing ${pkgs.join(', ')} with apt-get (needed by the tests)`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit' });
  } else {
    console.error(
      `test tools: the tests need ${missing.map((t) => t.command).join(' and ')}; install ${pkgs.join(' ')} ` +
        `(e.g. sudo apt-get install ${pkgs.join(' ')}) and run the tests again.`,
    );
    process.exit(1);
  }
}
