// tfjs-core registers no gradients by itself (the @tensorflow/tfjs umbrella does). Training these
// networks needs them, so importing this package registers every tfjs-core gradient once.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
