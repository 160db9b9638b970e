/**
 * A one-line progress display on stderr: a small bar, the step counter, what runs now and the
 * elapsed time. On a terminal the line is redrawn in place; otherwise (CI, a log file) each
 * step is a line of its own, so the log stays readable.
 */
const WIDTH = 24;

export class Progress {
  readonly #total: number;
  readonly #started = Date.now();
  readonly #tty = process.stderr.isTTY === true;
  #done = 0;
  #drawn = false;

  constructor(total: number) {
    this.#total = total;
  }

  /** Shows what is about to run. */
  show(label: string): void {
    const filled = Math.round((this.#done / this.#total) * WIDTH);
    const bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    const line = `[${bar}] ${this.#done}/${this.#total} ${elapsed(this.#started)} ${label}`;
    if (this.#tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.#drawn = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  step(): void {
    this.#done++;
  }

  /** Prints a message on its own line without garbling the bar. */
  note(message: string): void {
    this.clear();
    process.stderr.write(`${message}\n`);
  }

  clear(): void {
    if (this.#tty && this.#drawn) process.stderr.write("\r\x1b[2K");
    this.#drawn = false;
  }

  finish(): void {
    this.clear();
    process.stderr.write(`done: ${this.#done}/${this.#total} samples in ${elapsed(this.#started)}\n`);
  }
}

function elapsed(since: number): string {
  const s = Math.floor((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
