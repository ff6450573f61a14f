import type { Request, RequestHandler, Response } from 'express';

/** Runs `middleware` inside a handler, for checks that only apply on one branch (the limiter on misses). */
export function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}
