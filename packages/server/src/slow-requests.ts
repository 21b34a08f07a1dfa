import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { AlcoveError, type ProblemCode, type ProblemDocument, problemCodes, problemType } from '@alcove/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How long a client may take to send a request, and how long a connection may sit idle.
 * Node and Fastify time out headers, whole requests and idle connections; a body that
 * trickles in a byte every few seconds defeats an idle timeout, and Node checks its
 * request timeout only now and then, so the body has a rule of its own here.
 */
export interface RequestLimits {
  /** The request line and headers must have arrived within this (Node's headersTimeout). */
  readonly headersMs: number;
  /** The whole request, body included, within this: Node's backstop behind `bodyMs`. */
  readonly requestMs: number;
  /** A kept-alive connection with no request is closed after this. */
  readonly keepAliveMs: number;
  /** A connection with no traffic either way is closed after this (e.g. a client that stops reading). */
  readonly idleMs: number;
  /** How often Node looks for requests past `headersMs` or `requestMs`. */
  readonly checkEveryMs: number;
  /** The body must have arrived within this of the request's start. */
  readonly bodyMs: number;
  /** After the first `graceMs`, every `windowMs` must bring `bytesPerSecond` on average. */
  readonly minBodyRate: {
    readonly bytesPerSecond: number;
    readonly windowMs: number;
    readonly graceMs: number;
  };
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  headersMs: 20_000,
  requestMs: 60_000,
  // Longer than a reverse proxy's usual 60 s upstream idle time, so the proxy closes first
  // and never sends a request down a connection Alcove has just closed.
  keepAliveMs: 72_000,
  // Long enough for the slowest answer Alcove builds (a release PDF, a research export).
  idleMs: 120_000,
  checkEveryMs: 2_000,
  // 1 MiB (the body limit) in 30 s is 35 KiB/s: any real connection does better.
  bodyMs: 30_000,
  minBodyRate: { bytesPerSecond: 1024, windowMs: 10_000, graceMs: 10_000 },
};

export type RequestLimitOptions = Partial<Omit<RequestLimits, 'minBodyRate'>> & {
  readonly minBodyRate?: Partial<RequestLimits['minBodyRate']>;
};

export function requestLimits(options: RequestLimitOptions | undefined): RequestLimits {
  const limits: RequestLimits = {
    ...DEFAULT_REQUEST_LIMITS,
    ...options,
    minBodyRate: { ...DEFAULT_REQUEST_LIMITS.minBodyRate, ...options?.minBodyRate },
  };
  for (const [name, value] of Object.entries({ ...limits, ...limits.minBodyRate })) {
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0)) {
      throw new Error(`The request limit ${name} must be a whole number above 0 (it is ${value}).`);
    }
  }
  if (limits.headersMs > limits.requestMs) {
    throw new Error('The request limit headersMs must not be longer than requestMs.');
  }
  return limits;
}

/**
 * Node's own header and whole-request timeouts, which Fastify has no options for, and how
 * often Node checks them (30 s by default, which would let a 20 s limit run to 50 s).
 * Set before the server listens: the check starts then.
 */
export function setNodeServerTimeouts(server: http.Server, limits: RequestLimits): void {
  server.headersTimeout = limits.headersMs;
  server.requestTimeout = limits.requestMs;
  // Stored on the server by its constructor and read when it starts listening; not in Node's types.
  (server as http.Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    limits.checkEveryMs;
}

/** The Fastify options that set the same timeouts on the server it makes. */
export function fastifyTimeouts(limits: RequestLimits): {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => void;
} {
  return {
    connectionTimeout: limits.idleMs,
    keepAliveTimeout: limits.keepAliveMs,
    requestTimeout: limits.requestMs,
    clientErrorHandler: answerClientError,
  };
}

/**
 * A request Node gave up on before Fastify saw it (headers too slow or too large, the
 * whole request past `requestMs`, or not HTTP at all) still gets a problem document, then
 * the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail]: [ProblemCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request-timeout', 'The request did not arrive in time; the connection is closed.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers-too-large', 'The request headers are too large; the connection is closed.']
        : ['validation-failed', 'The request could not be read as HTTP; the connection is closed.'];
  const { status, title } = problemCodes[code];
  const document: ProblemDocument = { type: problemType(code), title, status, detail, code };
  const body = JSON.stringify(document);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * The slow-body rule: a body not fully arrived `bodyMs` after the request began, or that
 * brings less than `minBodyRate` over a window after the grace period, is refused with a
 * 408 problem document and its connection closed. Bodies already in when the route is
 * found (nearly all) pass untouched.
 */
export function refuseSlowBodies(app: FastifyInstance, limits: RequestLimits): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.raw.complete) return payload;
    return watchBody(request, reply, payload, limits);
  });
  // A request answered before its body was read (refused in onRequest: not signed in, from
  // another site, no such route) never reaches the rule above. Its connection closes with
  // the answer, so a body trickling in behind it holds nothing open.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.raw.complete) {
      reply.raw.shouldKeepAlive = false;
      reply.header('connection', 'close');
    }
    return payload;
  });
}

class CountingStream extends Transform {
  received = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    callback(null, chunk);
  }
}

function watchBody(
  request: FastifyRequest,
  reply: FastifyReply,
  source: Readable,
  limits: RequestLimits,
): Readable {
  const body = new CountingStream();
  // Transport timing, not the app's clock: a monotonic clock that tests' frozen time cannot stop.
  const startedAt = performance.now() - reply.elapsedTime;
  const elapsed = () => performance.now() - startedAt;
  const { bytesPerSecond, windowMs, graceMs } = limits.minBodyRate;
  // What had arrived when, oldest first; the rate is judged over the last window of these.
  const samples: { at: number; received: number }[] = [{ at: elapsed(), received: 0 }];

  const refuse = (detail: string) => {
    stop();
    // Whatever else trickles in is read and dropped until the connection closes after the answer.
    source.unpipe(body);
    source.resume();
    reply.raw.shouldKeepAlive = false;
    reply.header('connection', 'close');
    body.destroy(new AlcoveError('request-timeout', detail));
  };
  const deadline = setTimeout(
    () => refuse('The request body did not arrive in time; the connection is closed.'),
    Math.max(0, limits.bodyMs - reply.elapsedTime),
  );
  const sampler = setInterval(
    () => {
      const now = elapsed();
      samples.push({ at: now, received: body.received });
      const windowStart = now - windowMs;
      if (windowStart < graceMs) return;
      // The newest sample at or before the window's start is the baseline; older ones can go.
      while (samples.length > 1 && (samples[1]?.at ?? Number.POSITIVE_INFINITY) <= windowStart)
        samples.shift();
      const baseline = samples[0];
      if (baseline === undefined || baseline.at > windowStart) return;
      const rate = ((body.received - baseline.received) * 1000) / (now - baseline.at);
      if (rate < bytesPerSecond) refuse('The request body is arriving too slowly; the connection is closed.');
    },
    Math.max(1, Math.floor(windowMs / 10)),
  );
  deadline.unref();
  sampler.unref();
  const stop = () => {
    clearTimeout(deadline);
    clearInterval(sampler);
  };

  body.once('end', stop);
  body.once('close', stop);
  reply.raw.once('close', stop);
  request.raw.once('close', stop);
  // The raw request's own failures (the client went away) still reach the body parser.
  source.once('error', (error) => body.destroy(error));
  source.pipe(body);
  return body;
}
