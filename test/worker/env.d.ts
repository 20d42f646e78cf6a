// Bindings only the test worker has (vitest.config.ts), beside those of wrangler.toml.
declare namespace Cloudflare {
  interface Env {
    /** MNIST's 10,000 test images and labels (mnist-fixture.ts). */
    MNIST_TEST: ArrayBuffer;
    /** 3,000 MNIST training images from index 30,000 (vitest.config.ts). */
    MNIST_TRAIN: ArrayBuffer;
  }
}
