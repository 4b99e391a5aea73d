import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured logs: readable lines on a terminal, one JSON object per line otherwise. */
export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: 1 | 2 } = {},
): Logger {
  const level = options.level ?? 'info';
  const destination = options.destination ?? 1;
  if (options.pretty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', destination },
      },
    });
  }
  return pino({ level }, pino.destination({ fd: destination, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
