"""The built-in ops whose backward is right for complex inputs.

An op is on this list when its backward is linear in the incoming gradient without a
derivative of its own input (shapes, indexing, sums, copies: the same formula serves complex
numbers), or when its backward conjugates as PyTorch's convention needs (the gradient of a real
loss with respect to ``z`` is ``dL/d(re z) + i dL/d(im z)``) and a complex gradcheck covers it.
Any other built-in op refuses to record a complex input that requires grad, rather than
compute a wrong gradient. Functions users write are theirs to get right and are not checked.
"""

COMPLEX_GRAD_OPS = frozenset(
    f"disttrain.core.{name}" for name in """
    engine._CopyGrad views.CopySlices ops._util.SumToSize
    ops.arithmetic.Add ops.arithmetic.Sub ops.arithmetic.Neg ops.arithmetic.Mul
    ops.arithmetic.Div ops.arithmetic.PowScalar ops.arithmetic.Rsub ops.arithmetic.RsubTensor
    ops.complex_ops.Angle ops.complex_ops.Complex ops.complex_ops.Conj ops.complex_ops.Imag
    ops.complex_ops.Real ops.complex_ops.ViewAsComplex ops.complex_ops.ViewAsReal
    ops.copies.Cast ops.copies.Clone ops.copies.Copy ops.copies.Fill ops.copies.FillTensor
    ops.copies.ToDevice ops.copies.Zero
    ops.fft_ops.C2C ops.fft_ops.C2R ops.fft_ops.R2C
    ops.index.Alias ops.index.Gather ops.index.GetItem ops.index.IndexAccumulate
    ops.index.IndexPut ops.index.IndexSelect ops.index.MaskedFill ops.index.MaskedFillTensor
    ops.index.MaskedSelect ops.index.Scatter ops.index.ScatterAdd ops.index.ScatterValue
    ops.index.Select ops.index.SetItem ops.index.Slice ops.index.UnsqueezeIndex
    ops.linalg.Bmm ops.linalg.Dot ops.linalg.Matmul ops.linalg.Mm ops.linalg.Mv
    ops.linalg_ops.Inv ops.linalg_ops.Solve ops.linalg_ops.Diagonal
    ops.linalg_ops.DiagonalScatter ops.linalg_decomp.Eig
    ops.reduce.Sum ops.reduce.SumAll ops.reduce.Mean ops.reduce.MeanAll ops.reduce.Cumsum
    ops.reduce.Var ops.reduce.Std
    ops.compare.Where ops.select.Tril ops.select.Triu
    ops.shape.Cat ops.shape.Contiguous ops.shape.Expand ops.shape.Flip ops.shape.Permute
    ops.shape.Repeat ops.shape.ReshapeCopy ops.shape.Split ops.shape.SplitEqual
    ops.shape.Squeeze ops.shape.SqueezeDim ops.shape.SqueezeDims ops.shape.Stack ops.shape.T
    ops.shape.Transpose ops.shape.Unbind ops.shape.Unsqueeze ops.shape.View
    ops.unary.Exp ops.unary.Expm1 ops.unary.Log ops.unary.Log2 ops.unary.Log10
    ops.unary.Log1p ops.unary.Sqrt ops.unary.Rsqrt ops.unary.Reciprocal ops.unary.Sin
    ops.unary.Cos ops.unary.Tan ops.unary.Tanh ops.unary.Sigmoid ops.unary.Asin
    ops.unary.Acos ops.unary.Atan ops.unary.Sinh ops.unary.Cosh ops.unary.Square ops.unary.Abs
    """.split())
