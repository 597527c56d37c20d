/**
 * Errors crossing the worker boundary: structured cloning keeps only plain data, so the wire form
 * must carry the code, the fix and a ContractError's fields, and the page must rebuild the same
 * classes. Runs in Node (the functions touch no DOM).
 */
import { describe, expect, it } from 'vitest';
import { AbortError, ContractError, FslsdError } from '@fslsd/core';
import { errorFromWire, errorToWire } from '../src/wire.js';

const roundTrip = (error: unknown) => errorFromWire(structuredClone(errorToWire(error)));

describe('errors across the worker boundary', () => {
  it('a ContractError keeps its class, code, fix, model, tensor, expected and actual', () => {
    const original = new ContractError('generator', 'wplus', 'float32[1,18,512]', 'float32[1,18,256]');
    const back = roundTrip(original);
    expect(back).toBeInstanceOf(ContractError);
    const contract = back as ContractError;
    expect([contract.code, contract.model, contract.tensor, contract.expected, contract.actual]).toEqual(['CONTRACT_MISMATCH', 'generator', 'wplus', 'float32[1,18,512]', 'float32[1,18,256]']);
    expect(contract.fix).toBe(original.fix);
    expect(contract.message).toBe(original.message);
  });

  it('an FslsdError keeps code, message and fix, and the fix is not repeated', () => {
    const original = new FslsdError('INVALID_MASK', 'The target mask is 10x20; it must be square.', { fix: 'Pass a square mask.' });
    const back = roundTrip(original);
    expect(back).toBeInstanceOf(FslsdError);
    expect([back.name, back.code, back.fix, back.message]).toEqual(['FslsdError', 'INVALID_MASK', 'Pass a square mask.', 'The target mask is 10x20; it must be square. Pass a square mask.']);
  });

  it('an abort stays an AbortError with code ABORTED', () => {
    const back = roundTrip(new AbortError('synthesize'));
    expect(back).toBeInstanceOf(AbortError);
    expect([back.name, back.code, back.message]).toEqual(['AbortError', 'ABORTED', 'Aborted during synthesize.']);
  });

  it('anything else becomes a typed RUNTIME_FAILURE that names what was thrown', () => {
    const back = roundTrip(new RangeError('Array buffer allocation failed'));
    expect(back).toBeInstanceOf(FslsdError);
    expect(back.code).toBe('RUNTIME_FAILURE');
    expect(back.message).toContain('RangeError: Array buffer allocation failed');
    expect(roundTrip('a string').message).toContain('string: a string');
  });
});
