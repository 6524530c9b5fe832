// Copies the tables of bench/results/latest.md into README.md between the bench markers, so the README
// always shows one whole run rather than hand-picked numbers.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const md = readFileSync(path.join(root, 'bench/results/latest.md'), 'utf8');
const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');

const section = (title) => {
  const start = md.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`latest.md has no section "${title}"`);
  const end = md.indexOf('\n## ', start + 3);
  return md.slice(md.indexOf('\n', start) + 1, end < 0 ? undefined : end).trim();
};
/** A section only some runs have (e.g. the enforcement comparison needs the Margin variants). */
const optionalSection = (title) => (md.includes(`## ${title}`) ? section(title) : null);
const line = (prefix) => md.split('\n').find((l) => l.startsWith(prefix)) ?? '';
const when = line('Run ').replace(/^Run /, '').split('·')[0].trim();
const machine = line('**Machine:**').replace('**Machine:**', '').split('. Load generator')[0].trim();

const interleaved = optionalSection('Enforcement cost, interleaved');
const sequential = optionalSection('Enforcement cost, sequential');
const heading = (title) =>
  md
    .split('\n')
    .find((l) => l.startsWith(`## ${title}`))
    ?.slice(3) ?? title;
// The one-connection phase (not the same as the "sequential phases" above); ### become bold lines here.
const oneConnection = optionalSection('Sequential calls')?.replace(/^### (.*)$/gm, '**$1**');
const enforcement = [
  sequential && `**${heading('Enforcement cost, sequential')}**\n\n${sequential}`,
  interleaved && `**${heading('Enforcement cost, interleaved')}**\n\n${interleaved}`,
]
  .filter(Boolean)
  .join('\n\n');

const generated = `Last full run (${when}): ${machine}. Every number is from that one run; ratios compare against
baselines measured in the same run.

**Against the issue's aims**

${section('Margin vs.')}

**Throughput** (closed loop, 50 connections × 15 s)

${section('Throughput')}
${enforcement ? `\n${enforcement}\n` : ''}
**Fixed rate, 1,000 req/s** (10 connections spread over the second)

${section('Fixed rate 1,000 req/s — 10 staggered')}

**Streaming time to first byte** (200 sequential \`stream: true\` requests)

${section('Streaming time')}
${oneConnection ? `\n**${heading('Sequential calls')}**\n\n${oneConnection}\n` : ''}
**Memory**

${section('Memory')}`;

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error('README.md has no bench markers');
writeFileSync(readmePath, `${readme.slice(0, a + START.length)}\n${generated}\n${readme.slice(b)}`);
console.log(`README.md: benchmark tables from the run of ${when}`);
