import { describe, expect, it } from 'vitest';
import { type GraphPart, type ModelProto, composeModels } from '../src/graph.js';
import { floatTensor, makeModel, node, valueInfo } from '../src/graph/onnx.js';
import { caught, expectFslsd, ort, runModel } from './helpers.js';

const vector = (name: string) => valueInfo(name, 'float32', [3]);

/** t = x + y; s = t * k (k = 2). Its inner names t and k collide with multiplier()'s on purpose. */
function adder(): ModelProto {
  return makeModel(
    {
      name: 'adder',
      node: [node('Add', ['x', 'y'], ['t']), node('Mul', ['t', 'k'], ['s'])],
      initializer: [floatTensor('k', [], Float32Array.of(2))],
      input: [vector('x'), vector('y')],
      output: [vector('s'), vector('t')],
    },
    'adder',
  );
}

/** t = a * k (k = 3); out = t + a. */
function multiplier(): ModelProto {
  return makeModel(
    {
      name: 'multiplier',
      node: [node('Mul', ['a', 'k'], ['t']), node('Add', ['t', 'a'], ['out'])],
      initializer: [floatTensor('k', [], Float32Array.of(3))],
      input: [vector('a')],
      output: [vector('out')],
    },
    'multiplier',
  );
}

const parts = (): GraphPart[] => [
  { name: 'add', model: adder(), inputs: { x: 'x', y: 'y' }, outputs: { s: 'sum' } },
  { name: 'mul', model: multiplier(), inputs: { a: 'sum' }, outputs: { out: 'result' } },
];
const options = { inputs: [vector('x'), vector('y')], outputs: [vector('result'), vector('sum')], docString: 'test composition' };

describe('composeModels', () => {
  it('runs Add then Mul as one model in onnxruntime-node', async () => {
    const model = composeModels(parts(), options);
    const out = await runModel(model, {
      x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]),
      y: new ort.Tensor('float32', Float32Array.of(10, 20, -3.5), [3]),
    });
    // sum = 2 (x + y); result = 3 sum + sum = 8 (x + y)
    expect([...(out.sum!.data as Float32Array)]).toEqual([22, 44, -1]);
    expect([...(out.result!.data as Float32Array)]).toEqual([88, 176, -4]);
  });

  it('prefixes inner names with the part name and keeps mapped names', () => {
    const graph = composeModels(parts(), options).graph!;
    expect(graph.initializer!.map((t) => t.name)).toEqual(['add/k', 'mul/k']);
    expect(graph.node!.map((n) => `${n.name}: ${n.input!.join(',')} -> ${n.output!.join(',')}`)).toEqual([
      'add/Add:t: x,y -> add/t',
      'add/Mul:s: add/t,add/k -> sum',
      'mul/Mul:t: sum,mul/k -> mul/t',
      'mul/Add:out: mul/t,sum -> result',
    ]);
    expect(graph.input!.map((v) => v.name)).toEqual(['x', 'y']);
    expect(graph.output!.map((v) => v.name)).toEqual(['result', 'sum']);
  });

  it('fails with GRAPH_COMPOSITION for an unconnected part input', () => {
    const broken = parts();
    broken[1] = { ...broken[1]!, inputs: {} };
    const error = expectFslsd(caught(() => composeModels(broken, options)), 'GRAPH_COMPOSITION');
    expect(error.message).toBe('Input "a" of part "mul" is not connected.');
  });

  it('fails with GRAPH_COMPOSITION when a part lacks a mapped output', () => {
    const broken = parts();
    broken[0] = { ...broken[0]!, outputs: { s: 'sum', total: 'total' } };
    const error = expectFslsd(caught(() => composeModels(broken, options)), 'GRAPH_COMPOSITION');
    expect(error.message).toBe('Part "add" has no output "total".');
  });

  it('fails with GRAPH_COMPOSITION when a model output is produced by no part', () => {
    const error = expectFslsd(caught(() => composeModels(parts(), { ...options, outputs: [vector('result'), vector('difference')] })), 'GRAPH_COMPOSITION');
    expect(error.message).toBe('Model output "difference" is produced by no part.');
  });

  it('fails with GRAPH_COMPOSITION when an input is wired to a tensor nobody produces', () => {
    const broken = parts();
    broken[1] = { ...broken[1]!, inputs: { a: 'ghost' } };
    const error = expectFslsd(caught(() => composeModels(broken, options)), 'GRAPH_COMPOSITION');
    expect(error.message).toContain('Tensor "ghost" consumed by node "mul/Mul:t"');
  });

  it('fails with GRAPH_COMPOSITION for duplicate part names and opsets above 17', () => {
    const twice = parts();
    twice[1] = { ...twice[1]!, name: 'add' };
    expect(expectFslsd(caught(() => composeModels(twice, options)), 'GRAPH_COMPOSITION').message).toContain('Two graph parts are named "add"');
    const newer = parts();
    newer[0]!.model.opsetImport = [{ domain: '', version: 18 }];
    expect(expectFslsd(caught(() => composeModels(newer, options)), 'GRAPH_COMPOSITION').message).toContain('opset 18');
  });
});
