import type { ImportOptions } from '../economics/import/run-import.js';

/** Files smaller than this import in a moment: no bar. */
const BAR_MIN_BYTES = 4 * 1024 * 1024;

/**
 * A progress bar (cli-progress) per pass through each large file, on stderr when it is a terminal.
 * Loaded on use, so imports that need none start without it.
 */
export async function progressBar(): Promise<ImportOptions['onProgress']> {
  if (!process.stderr.isTTY) return undefined;
  const { default: cliProgress } = await import('cli-progress');
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let current = '';
  return ({ pass, file, bytes, total, done }) => {
    if (total < BAR_MIN_BYTES) return;
    const key = `${pass}\u0000${file}`;
    if (key !== current) {
      bar?.stop();
      current = key;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${pass === 'check' ? 'checking' : 'importing'} ${file} [{bar}] {percentage}% | {mb} MB | eta {eta_formatted}`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { mb: '0' });
    }
    bar?.update(bytes, { mb: (bytes / 1048576).toFixed(0) });
    if (done) {
      bar?.stop();
      bar = undefined;
      current = '';
    }
  };
}
