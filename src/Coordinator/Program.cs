System.Console.WriteLine(TorchSharp.torch.ones(2).sum().item<float>());
