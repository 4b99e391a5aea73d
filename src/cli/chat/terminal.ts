import * as readline from 'node:readline';
import { type ChatIo, isTty, safeWrite } from './chat-io.js';

/**
 * The interactive terminal: a line reader with a prompt, and whole lines printed above it without garbling
 * what the user is typing (clear the line, print, redraw the prompt). Without a TTY it reads and writes
 * plain lines.
 */
export class Terminal {
  readonly tty: boolean;
  #reader: readline.Interface | undefined;
  #open = false;

  constructor(private readonly io: ChatIo) {
    this.tty = isTty(io.stdin) && isTty(io.stdout);
  }

  print(text: string): void {
    if (this.#reader && this.tty && this.#open) {
      readline.cursorTo(this.io.stdout, 0);
      readline.clearLine(this.io.stdout, 0);
      safeWrite(this.io.stdout, `${text}\n`);
      this.#reader.prompt(true);
    } else {
      safeWrite(this.io.stdout, `${text}\n`);
    }
  }

  setPrompt(prompt: string): void {
    this.#reader?.setPrompt(prompt);
  }

  showPrompt(): void {
    if (this.#reader && this.tty && this.#open) this.#reader.prompt(true);
  }

  /** Starts reading lines; resolves when input ends (end of file, Ctrl-C, Ctrl-D, an input error or `close`). */
  read(onLine: (line: string) => void): Promise<void> {
    const input = this.io.stdin;
    const reader = readline.createInterface({
      input,
      output: this.tty ? this.io.stdout : undefined,
      terminal: this.tty,
      crlfDelay: Number.POSITIVE_INFINITY,
      historySize: this.tty ? 100 : 0,
    });
    this.#reader = reader;
    this.#open = true;
    const onInputError = () => reader.close();
    input.on('error', onInputError);
    reader.on('SIGINT', () => reader.close());
    reader.on('line', onLine);
    return new Promise<void>((resolve) =>
      reader.once('close', () => {
        this.#open = false;
        input.off('error', onInputError);
        resolve();
      }),
    );
  }

  close(): void {
    this.#reader?.close();
  }
}
