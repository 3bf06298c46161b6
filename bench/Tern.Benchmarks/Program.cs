using BenchmarkDotNet.Running;
using Tern.Benchmarks;

// Kernel benchmarks (not part of `dotnet test`):
//   dotnet run -c Release --project bench/Tern.Benchmarks -- throughput [--kernel avx512bw] [--type I2_S] [--threads 1,2] [--tokens 1,64,512] [--reps 7] [--layers 24]
//       model-shaped GMAC/s and GB/s: mat-vec over 24 layers (418 MB) of 2B-4T-shaped weights (DRAM; --layers 1 for in-cache), mat-mat over one layer
//   dotnet run -c Release --project bench/Tern.Benchmarks -- bandwidth     read-bandwidth roof (1 GiB Vector256 sum), same sitting
//   dotnet run -c Release --project bench/Tern.Benchmarks -- clock         core clock estimate
//   dotnet run -c Release --project bench/Tern.Benchmarks -- tile [K]      mat-mat register tiles alone, in cache
//   dotnet run -c Release --project bench/Tern.Benchmarks -- matvec [kernel] [rows] [K] [type]   one-token product alone, in cache (compute ceiling)
//   dotnet run -c Release --project bench/Tern.Benchmarks -- f16 [rows] [K] F16 output-layer dot alone (in cache for few rows, DRAM for many)
//   dotnet run -c Release --project bench/Tern.Benchmarks -- ab DIR_A DIR_B ROUNDS [throughput arguments]
//       two builds (each `dotnet build -c Release bench/Tern.Benchmarks -o DIR`) alternated in one process
//   dotnet run -c Release --project bench/Tern.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter '*MatVec*']
//       BenchmarkDotNet micro-benchmarks of one projection (see KernelBenchmarks)
if (args.Length > 0 && args[0] == "clock")
    Console.WriteLine($"≈ {Calibrate.GHz():F2} GHz (dependent-add chain, per CPU-second)");
else if (args.Length > 0 && args[0] == "bandwidth")
    Bandwidth.Run();
else if (args.Length > 0 && args[0] == "tile")
    TileProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 2560);
else if (args.Length > 0 && args[0] == "f16")
    F16Probe.Run(args.Length > 1 ? int.Parse(args[1]) : 64, args.Length > 2 ? int.Parse(args[2]) : 2560);
else if (args.Length > 0 && args[0] == "matvec")
    MatVecProbe.Run(args[1..]);
else if (args.Length > 0 && args[0] == "throughput")
    Throughput.Run(args[1..]);
else if (args.Length > 0 && args[0] == "ab")
    AbCompare.Run(args[1..]);
else
    BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmarks).Assembly).Run(args);
