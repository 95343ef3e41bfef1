import { CliError } from './cli-error.js';

function missingPackage(e: unknown, names: readonly string[]): string | undefined {
  const err = e as { code?: unknown; message?: unknown };
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') return undefined;
  const message = String(err.message);
  // Only the package asked for: a module missing deeper down is another problem.
  return names.find((n) => message.includes(`'${n}'`) || message.includes(`"${n}"`));
}

/**
 * Loads the optional peer packages a command needs (`demo`: agent, node-adapter, testkit;
 * `serve`: server). They are not dependencies of the CLI, so `inspect`, `verify`, `doctor`…
 * install with core alone; a command whose packages are missing says what to install.
 */
export async function loadOptional<T>(
  command: string,
  names: readonly string[],
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const missing = missingPackage(e, names);
    if (missing === undefined) throw e;
    throw new CliError(
      `mtlskit ${command} needs ${names.join(', ')} (optional peer dependencies of @mtlskit/cli); ${missing} is not installed. Install them next to the CLI: npm install ${names.join(' ')} (with -g for a global mtlskit).`,
    );
  }
}
