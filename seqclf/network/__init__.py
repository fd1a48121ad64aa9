"""The network and its life outside training: the recurrent classifier module, ensembles of it,
its saved folder, naming a folder or Hub repo to load, push and pull, and its ONNX export."""
