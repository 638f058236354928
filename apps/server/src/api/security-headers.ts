import type { RequestHandler } from 'express';

/**
 * The few headers every response needs; written out rather than pulled in from a library
 * because the console's Content-Security-Policy is its own (index.html), and these five are
 * all that is left.
 */
export function securityHeaders(tls: boolean): RequestHandler {
  return (_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('X-Frame-Options', 'DENY');
    res.set('Referrer-Policy', 'same-origin');
    res.set('Cross-Origin-Opener-Policy', 'same-origin');
    // Only over HTTPS: a browser must first have reached us securely for HSTS to mean anything.
    if (tls) res.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}
