// tfjs-core alone registers no gradients (the @tensorflow/tfjs umbrella and tfjs-node do). The losses
// are differentiated in these tests, so register them once per test process, like an application
// using tfjs-core + a backend directly would.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
