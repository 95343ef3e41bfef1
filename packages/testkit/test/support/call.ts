import { type Agent, request } from 'node:https';

/** The answer of {@link call}. */
export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** Options of {@link call}. */
export interface CallOptions {
  ca: string;
  cert?: string;
  key?: string;
  body?: unknown;
  /** Raw body text instead of JSON. */
  raw?: string;
  method?: string;
  headers?: Record<string, string>;
  agent?: Agent;
}

/** One HTTPS call to the backend with node:https (no agent package, no mocks). */
export function call(url: string, options: CallOptions): Promise<CallResult> {
  const text = options.raw ?? (options.body === undefined ? '' : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'POST',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        agent: options.agent ?? false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = body ? JSON.parse(body) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}
