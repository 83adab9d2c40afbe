import { spawn } from 'node:child_process';
import { FUNCTION_MEMORY_MB, lambdaNodeFlags } from './lambda-runner';

/**
 * Runs a measurement in a fresh Node process with the heap limits Lambda sets for the
 * function's memory, and returns the JSON it reports on stderr as a `BENCH {...}` line
 * (stdout is left to whatever the code under measurement prints).
 */
export function runProbe<T>(what: string, args: readonly string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...lambdaNodeFlags(FUNCTION_MEMORY_MB), ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) return reject(new Error(`the ${what} exited with ${code}: ${stderr}`));
      resolve(JSON.parse(line.slice('BENCH '.length)) as T);
    });
  });
}
