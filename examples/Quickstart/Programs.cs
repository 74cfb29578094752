namespace Quickstart;

/// <summary>The seed's remote functions.</summary>
public static class Programs
{
    public static int F(int x) => x * x;

    public static double[,] Zeros(int rows, int columns) => new double[rows, columns];

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        if (a.GetLength(1) != b.GetLength(0))
        {
            throw new ArgumentException($"Cannot multiply a {a.GetLength(0)}x{a.GetLength(1)} matrix by a {b.GetLength(0)}x{b.GetLength(1)} one.");
        }

        var result = new double[a.GetLength(0), b.GetLength(1)];
        for (var i = 0; i < a.GetLength(0); i++)
        {
            for (var k = 0; k < a.GetLength(1); k++)
            {
                var aik = a[i, k];
                for (var j = 0; j < b.GetLength(1); j++)
                {
                    result[i, j] += aik * b[k, j];
                }
            }
        }

        return result;
    }
}
