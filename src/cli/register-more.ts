import type { Command } from 'commander';
import type { Runner } from './main.ts';

/** Commands beyond demo and build; each lives in commands/<verb>.ts. */
export function registerMore(_program: Command, _run: Runner): void {}
