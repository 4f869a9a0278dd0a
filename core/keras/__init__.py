"""Everything that runs Keras: the TensorFlow worker (client and child process), its jobs, the model builders, training
and the equivalence lab.

The only package that may import TensorFlow or Keras, and only inside functions the worker's child runs: importing a
module here stays cheap, so the server imports the worker client and the result types without TensorFlow.
"""
