import { randomBytes } from 'node:crypto';

// Request ids are sortable by time (ms prefix) and unique without coordination across replicas.
let counter = 0;
const node = randomBytes(4).toString('hex');
export function newRequestId(nowMs: number): string {
  counter = (counter + 1) & 0xffffff;
  return `req_${nowMs.toString(36)}${node}${counter.toString(36).padStart(5, '0')}`;
}
