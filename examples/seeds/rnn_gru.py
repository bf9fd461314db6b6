"""The tutorial's GRU: ``nn.GRU(input_size=10, hidden_size=20, num_layers=2, batch_first=True)``.

Prints the layer, its parameters (three gates stacked: weight_ih_l0 is [3 * 20, 10]), and
the shapes of the output (batch, seq, hidden) and of the final hidden state
(num_layers, batch, hidden) for a batch of 3 sequences of length 5, with and without an
initial state. Run: ``python examples/seeds/rnn_gru.py``
"""
import disttrain as torch
import disttrain.nn as nn


def main():
    # 创建 GRU 层
    # input_size:输入特征的维度
    # hidden_size:隐藏层的维度
    # num_layers:堆叠的 GRU 层数
    # batch_first:如果设置为 True,则输入和输出的批次维度为第一个维度
    gru = nn.GRU(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
    print(gru)
    for name, param in gru.named_parameters():
        print(name, param.shape)
    x = torch.randn(3, 5, 10)          # (batch, seq_len, input_size)
    output, h_n = gru(x)
    print(output.shape)                # (batch, seq_len, num_directions * hidden_size)
    print(h_n.shape)                   # (num_layers * num_directions, batch, hidden_size)
    h0 = torch.zeros(2, 3, 20)
    output2, _ = gru(x, h0)
    print(torch.allclose(output, output2))
    # the last time step of the top layer is the final hidden state of that layer
    print(torch.allclose(output[:, -1], h_n[-1]))
    return gru, output, h_n


if __name__ == "__main__":
    main()
