// The bytes of an ONNX model computing C = op(A) op(B) for one GEMM shape,
// for onnxruntime-web to load. ONNX models are protobuf (onnx.proto); no
// protobuf library is needed for one node, so this writes the few messages
// by hand: ModelProto > GraphProto > NodeProto + ValueInfoProto.
//
// The node is ONNX's Gemm (alpha 1, no bias input), not MatMul: MatMul has no
// transpose flags, and a Transpose node would add a pass wasmgrad does not
// make. onnxruntime runs both through the same SGEMM (MLAS).

import type { GemmShape } from './gemm-shape.js';

/** IR version 8 with opset 13: what onnxruntime 1.x reads without conversion. */
const IR_VERSION = 8;
const OPSET = 13;
/** TensorProto.DataType.FLOAT */
const FLOAT = 1;
/** AttributeProto.AttributeType.INT */
const ATTRIBUTE_INT = 2;

// ---------------------------------------------------------------- protobuf wire format

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A varint field (wire type 0). */
const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
/** A length-delimited field (wire type 2): a string or a nested message. */
const bytes = (field: number, body: number[]): number[] => [...varint((field << 3) | 2), ...varint(body.length), ...body];
const text = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);

// ---------------------------------------------------------------- onnx.proto messages

/** ValueInfoProto: a float32 tensor named `name` with fixed dims. */
function tensorValue(name: string, dims: readonly number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d))); // TensorShapeProto.dim { dim_value }
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)]; // TypeProto.Tensor { elem_type, shape }
  return [...text(1, name), ...bytes(2, bytes(1, tensorType))]; // { name, type { tensor_type } }
}

const intAttribute = (name: string, value: number): number[] => [...text(1, name), ...int(3, value), ...int(20, ATTRIBUTE_INT)];

/** ONNX model bytes: inputs A (k x m if transA, else m x k) and B (n x k if transB, else k x n), output C (m x n). */
export function onnxGemmModel(shape: GemmShape): Uint8Array {
  const { m, n, k, transA, transB } = shape;
  const node = [
    ...text(1, 'A'), ...text(1, 'B'), ...text(2, 'C'), ...text(3, 'gemm'), ...text(4, 'Gemm'),
    ...bytes(5, intAttribute('transA', transA ? 1 : 0)),
    ...bytes(5, intAttribute('transB', transB ? 1 : 0)),
  ];
  const graph = [
    ...bytes(1, node),
    ...text(2, 'wasmgrad gemm bench'),
    ...bytes(11, tensorValue('A', transA ? [k, m] : [m, k])),
    ...bytes(11, tensorValue('B', transB ? [n, k] : [k, n])),
    ...bytes(12, tensorValue('C', [m, n])),
  ];
  const model = [
    ...int(1, IR_VERSION),
    ...text(2, 'wasmgrad'),
    ...bytes(7, graph),
    ...bytes(8, int(2, OPSET)), // OperatorSetIdProto { version }, default domain
  ];
  return Uint8Array.from(model);
}
