import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * What the request log may say of a request: its method, path, and where it came from.
 * Never a query string (no route takes a name in one, but a caller may send one anyway),
 * never a header's value, never a body. (Errors are logged by problems.ts: kind and stack, no message.)
 */
export function requestLogOptions(
  logger: FastifyServerOptions['logger'],
): Exclude<FastifyServerOptions['logger'], undefined> {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: { ...base.serializers, req: loggableRequest },
  };
}

export function loggableRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url.split('?')[0],
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
