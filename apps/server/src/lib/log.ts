/** The logging surface services use (pino's, so app.log fits). */
export interface Log {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
