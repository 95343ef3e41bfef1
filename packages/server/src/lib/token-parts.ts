/** A token cut into its public id and its secret. A token without a dot is its own id. */
export function splitToken(token: string): { id: string; secret: string } {
  const dot = token.indexOf('.');
  return dot < 0 ? { id: token, secret: token } : { id: token.slice(0, dot), secret: token.slice(dot + 1) };
}
