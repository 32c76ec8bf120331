"""PyTorch reference for @reacgan/models.

An independent transcription of the network *structure* of StudioGAN v0.3.0
(POSTECH-CVLab/PyTorch-StudioGAN, tag v.0.3.0: src/models/{deep_conv,resnet,big_resnet}.py,
src/utils/ops.py), written from its published structure for this package's tests; no StudioGAN
code is copied. Module attribute names are chosen so that `state_dict()` keys equal StudioGAN's.
deep_conv's heads read the 512-channel features (StudioGAN master 947b35e, commit 43b43f1; v0.3.0's
conditional deep_conv D fails); gCbnLayout 'linear' gives master's DCGAN / ResNet conditional BN (bias-free
linears on the one-hot label), 'embed' (default) v0.3.0's embedding tables; deep_conv's widths scale with g_conv_dim / d_conv_dim ('N/A' = 64 = StudioGAN's fixed widths). The D residual
blocks reproduce StudioGAN's in-place activation aliasing (shortcut = act(x) with SN).

This transcription is what the benchmark (bench/python/torch_step.py) times; it is pinned to StudioGAN's
own code by scripts/check_transcription.py (run by src/transcription.test.ts) on the fixtures of
scripts/studiogan_fixtures.py.

Run from the repository root:
  .venv-reference/bin/python packages/models/scripts/studiogan_reference.py

Writes
  packages/models/src/__fixtures__/studiogan-parameters.json  parameter counts (G and D) and the
      full state_dict key/shape lists for the presets;
  packages/models/src/__fixtures__/parity-*.safetensors        tiny seeded models (state_dict in
      PyTorch layout), inputs and outputs in eval and train mode, for the forward-parity tests.
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "__fixtures__")

SN_EPS = 1e-6
BN_EPS = 1e-4
BN_MOMENTUM = 0.1


# ----------------------------------------------------------------------------- layer factories
def make_conv(cin, cout, k, sn, stride=1, padding=0, bias=True):
    layer = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=bias)
    return spectral_norm(layer, eps=SN_EPS) if sn else layer


def make_deconv(cin, cout, k, sn, stride=2, padding=0, bias=True):
    layer = nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=padding, bias=bias)
    return spectral_norm(layer, eps=SN_EPS) if sn else layer


def make_linear(fin, fout, sn, bias=True):
    layer = nn.Linear(fin, fout, bias=bias)
    return spectral_norm(layer, eps=SN_EPS) if sn else layer


def make_embedding(num, dim, sn):
    layer = nn.Embedding(num, dim)
    return spectral_norm(layer, eps=SN_EPS) if sn else layer


def make_bn(features, affine=True):
    return nn.BatchNorm2d(features, eps=BN_EPS, momentum=BN_MOMENTUM, affine=affine)


def act_fn(name):
    return {
        "ReLU": nn.ReLU(),
        "Leaky_ReLU": nn.LeakyReLU(0.1),
        "ELU": nn.ELU(1.0),
        "GELU": nn.GELU(),
    }[name]


class ClassBN(nn.Module):
    """BN without affine; gain 1 + embed0[y], bias embed1[y] (DCGAN / ResNet cBN)."""

    def __init__(self, num_classes, features, sn):
        super().__init__()
        self.bn = make_bn(features, affine=False)
        self.embed0 = make_embedding(num_classes, features, sn)
        self.embed1 = make_embedding(num_classes, features, sn)

    def forward(self, x, y):
        return self.bn(x) * (1 + self.embed0(y))[:, :, None, None] + self.embed1(y)[:, :, None, None]


class AffineBN(nn.Module):
    """BN without affine; gain 1 + gain(a), bias bias(a) with bias-free linears (BigGAN cBN)."""

    def __init__(self, in_features, features, sn):
        super().__init__()
        self.bn = make_bn(features, affine=False)
        self.gain = make_linear(in_features, features, sn, bias=False)
        self.bias = make_linear(in_features, features, sn, bias=False)

    def forward(self, x, a):
        return self.bn(x) * (1 + self.gain(a))[:, :, None, None] + self.bias(a)[:, :, None, None]


class Attention(nn.Module):
    """SAGAN self-attention: theta/phi (C/8), g (C/2), max-pooled phi and g, sigma starts at 0."""

    def __init__(self, ch, sn):
        super().__init__()
        self.conv1x1_theta = make_conv(ch, ch // 8, 1, sn, bias=False)
        self.conv1x1_phi = make_conv(ch, ch // 8, 1, sn, bias=False)
        self.conv1x1_g = make_conv(ch, ch // 2, 1, sn, bias=False)
        self.conv1x1_attn = make_conv(ch // 2, ch, 1, sn, bias=False)
        self.sigma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, c, h, w = x.shape
        theta = self.conv1x1_theta(x).reshape(n, c // 8, h * w)
        phi = F.max_pool2d(self.conv1x1_phi(x), 2).reshape(n, c // 8, h * w // 4)
        attn = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)
        g = F.max_pool2d(self.conv1x1_g(x), 2).reshape(n, c // 2, h * w // 4)
        out = (g @ attn.transpose(1, 2)).reshape(n, c // 2, h, w)
        return x + self.sigma * self.conv1x1_attn(out)


def init_all(module, method):
    """StudioGAN's init_weights: conv / deconv / linear / embedding weights, biases to 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            if method == "ortho":
                nn.init.orthogonal_(m.weight)
            elif method == "N02":
                nn.init.normal_(m.weight, 0, 0.02)
            elif method in ("glorot", "xavier"):
                nn.init.xavier_uniform_(m.weight)
            else:
                continue
            if getattr(m, "bias", None) is not None and not isinstance(m, nn.Embedding):
                m.bias.data.fill_(0.0)


# ----------------------------------------------------------------------------- tables
G_IN = {8: [4], 16: [4, 4], 32: [4, 4, 4], 64: [16, 8, 4, 2], 128: [16, 16, 8, 4, 2]}
G_OUT = {8: [4], 16: [4, 4], 32: [4, 4, 4], 64: [8, 4, 2, 1], 128: [16, 8, 4, 2, 1]}
D_IN = {8: [2, 2, 2], 16: [2, 2, 2], 32: [2, 2, 2], 64: [1, 2, 4, 8], 128: [1, 2, 4, 8, 16]}
D_OUT = {8: [2] * 4, 16: [2] * 4, 32: [2] * 4, 64: [1, 2, 4, 8, 16], 128: [1, 2, 4, 8, 16, 16]}
D_DOWN = {
    8: [True, False, False, False],
    16: [True, True, False, False],
    32: [True, True, False, False],
    64: [True, True, True, True, False],
    128: [True, True, True, True, True, False],
}


def wrap(block):
    return nn.ModuleList([block])


# ----------------------------------------------------------------------------- ResNet / BigGAN G
class ResGenBlock(nn.Module):
    def __init__(self, cin, cout, norm, cond_dim, sn, act, layout="embed"):
        super().__init__()
        self.norm = norm
        if norm == "bn":
            self.bn1, self.bn2 = make_bn(cin), make_bn(cout)
        elif norm == "cbn":
            self.bn1, self.bn2 = class_bn(layout, cond_dim, cin, sn), class_bn(layout, cond_dim, cout, sn)
        else:
            self.bn1, self.bn2 = AffineBN(cond_dim, cin, sn), AffineBN(cond_dim, cout, sn)
        self.act = act
        self.conv2d0 = make_conv(cin, cout, 1, sn)
        self.conv2d1 = make_conv(cin, cout, 3, sn, padding=1)
        self.conv2d2 = make_conv(cout, cout, 3, sn, padding=1)

    def forward(self, x, cond):
        bn = (lambda m, t: m(t)) if self.norm == "bn" else (lambda m, t: m(t, cond))
        h = self.act(bn(self.bn1, x))
        h = self.conv2d1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.conv2d2(self.act(bn(self.bn2, h)))
        return h + self.conv2d0(F.interpolate(x, scale_factor=2, mode="nearest"))


class ResGenerator(nn.Module):
    def __init__(self, cfg, img_size, img_ch, num_classes):
        super().__init__()
        ch = cfg["gConvDim"]
        sn = cfg["applyGSn"]
        self.big = cfg["backbone"] == "big_resnet"
        self.cond = cfg["gCondMtd"]
        self.in_dims = [m * ch for m in G_IN[img_size]]
        out_dims = [m * ch for m in G_OUT[img_size]]
        n_blocks = len(self.in_dims)
        self.chunk = cfg["zDim"] // (n_blocks + 1) if self.big else cfg["zDim"]
        self.act = act_fn(cfg.get("gActFn", "ReLU"))
        self.linear0 = make_linear(self.chunk, self.in_dims[0] * 16, sn)
        if self.big:
            self.shared = nn.Embedding(num_classes, cfg["gSharedDim"])
        norm = "bn" if self.cond == "W/O" else ("affine" if self.big else "cbn")
        cond_dim = self.chunk + cfg["gSharedDim"] if self.big else num_classes
        blocks = []
        for i in range(n_blocks):
            blocks.append(wrap(ResGenBlock(self.in_dims[i], out_dims[i], norm, cond_dim, sn, self.act,
                                           cfg.get("gCbnLayout", "embed"))))
            if cfg.get("applyAttn") and (i + 1) in cfg.get("attnGLoc", []):
                blocks.append(wrap(Attention(out_dims[i], sn)))
        self.blocks = nn.ModuleList(blocks)
        self.bn4 = make_bn(out_dims[-1])
        self.conv2d5 = make_conv(out_dims[-1], img_ch, 3, sn, padding=1)
        init_all(self, cfg.get("gInit", "ortho"))

    def forward(self, z, y):
        conds = [y] * 16
        if self.big:
            zs = torch.split(z, self.chunk, 1)
            z = zs[0]
            shared = self.shared(y)
            conds = [torch.cat([shared, part], 1) for part in zs[1:]]
        x = self.linear0(z).view(z.shape[0], self.in_dims[0], 4, 4)
        k = 0
        for wrapped in self.blocks:
            block = wrapped[0]
            if isinstance(block, Attention):
                x = block(x)
            else:
                x = block(x, conds[k])
                k += 1
        return torch.tanh(self.conv2d5(self.act(self.bn4(x))))


# ----------------------------------------------------------------------------- ResNet / BigGAN D
class OptBlock(nn.Module):
    def __init__(self, cin, cout, sn, act):
        super().__init__()
        self.sn = sn
        self.conv2d0 = make_conv(cin, cout, 1, sn)
        self.conv2d1 = make_conv(cin, cout, 3, sn, padding=1)
        self.conv2d2 = make_conv(cout, cout, 3, sn, padding=1)
        if not sn:
            self.bn0, self.bn1 = make_bn(cin), make_bn(cout)
        self.act = act

    def forward(self, x):
        h = self.conv2d1(x)
        if not self.sn:
            h = self.bn1(h)
        h = F.avg_pool2d(self.conv2d2(self.act(h)), 2)
        s = F.avg_pool2d(x, 2)
        if not self.sn:
            s = self.bn0(s)
        return h + self.conv2d0(s)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, sn, act, down):
        super().__init__()
        self.sn, self.down, self.act = sn, down, act
        self.act_in_place = not isinstance(act, nn.GELU)
        self.shortcut = cin != cout or down
        if self.shortcut:
            self.conv2d0 = make_conv(cin, cout, 1, sn)
            if not sn:
                self.bn0 = make_bn(cin)
        self.conv2d1 = make_conv(cin, cout, 3, sn, padding=1)
        self.conv2d2 = make_conv(cout, cout, 3, sn, padding=1)
        if not sn:
            self.bn1, self.bn2 = make_bn(cin), make_bn(cout)

    def forward(self, x):
        h = x if self.sn else self.bn1(x)
        h = self.act(h)
        # StudioGAN's DiscBlock keeps x0 = x, then runs its in-place activation (ReLU / LeakyReLU / ELU are
        # built with inplace=True, GELU is not): without bn1 (SN on) that rewrites x0, so the shortcut reads act(x).
        s = h if (self.sn and self.act_in_place) else x
        h = self.conv2d1(h)
        h = h if self.sn else self.bn2(h)
        h = self.conv2d2(self.act(h))
        if self.down:
            h = F.avg_pool2d(h, 2)
        if self.shortcut:
            s = s if self.sn else self.bn0(s)
            s = self.conv2d0(s)
            if self.down:
                s = F.avg_pool2d(s, 2)
        return h + s


def add_heads(module, cfg, feat, num_classes):
    sn = cfg["applyDSn"]
    mtd = cfg["dCondMtd"]
    aux = cfg.get("auxClsType", "W/O")
    outputs = num_classes + 1 if mtd == "MH" else (num_classes if mtd == "MD" else 1)
    module.linear1 = make_linear(feat, outputs, sn)
    classes = 2 * num_classes if aux == "ADC" else num_classes
    if mtd == "AC":
        module.linear2 = make_linear(feat, classes, sn, bias=False)
    elif mtd == "PD":
        module.embedding = make_embedding(classes, feat, sn)
    elif mtd in ("2C", "D2DCE"):
        module.linear2 = make_linear(feat, cfg["dEmbedDim"], sn)
        module.embedding = make_embedding(classes, cfg["dEmbedDim"], sn)
    if aux == "TAC":
        if mtd == "AC":
            module.linear_mi = make_linear(feat, classes, sn, bias=False)
        else:
            module.linear_mi = make_linear(feat, cfg["dEmbedDim"], sn)
            module.embedding_mi = make_embedding(classes, cfg["dEmbedDim"], sn)


def run_heads(module, cfg, h, y, adc_fake=False):
    mtd = cfg["dCondMtd"]
    aux = cfg.get("auxClsType", "W/O")
    out = {}
    adv = module.linear1(h)
    if mtd not in ("MH", "MD"):
        adv = adv[:, 0]
    if aux == "ADC":
        y = y * 2 + (1 if adc_fake else 0)
    if mtd == "AC":
        if cfg.get("normalizeDEmbed"):
            h = F.normalize(h, dim=1)
        out["clsOutput"] = module.linear2(h)
    elif mtd == "PD":
        adv = adv + (module.embedding(y) * h).sum(1)
    elif mtd in ("2C", "D2DCE"):
        e, p = module.linear2(h), module.embedding(y)
        if cfg.get("normalizeDEmbed"):
            e, p = F.normalize(e, dim=1), F.normalize(p, dim=1)
        out["embed"], out["proxy"] = e, p
    elif mtd == "MD":
        adv = adv[torch.arange(y.shape[0]), y]
    elif mtd == "MH":
        out["clsOutput"] = adv
    if aux == "TAC":
        if mtd == "AC":
            out["miClsOutput"] = module.linear_mi(h)
        else:
            e, p = module.linear_mi(h), module.embedding_mi(y)
            if cfg.get("normalizeDEmbed"):
                e, p = F.normalize(e, dim=1), F.normalize(p, dim=1)
            out["miEmbed"], out["miProxy"] = e, p
    if aux == "ADC":
        out["label"] = y.to(torch.int32)
    out["h"], out["advOutput"] = h, adv
    return out


class ResDiscriminator(nn.Module):
    def __init__(self, cfg, img_size, img_ch, num_classes):
        super().__init__()
        self.cfg = cfg
        ch = cfg["dConvDim"]
        sn = cfg["applyDSn"]
        self.act = act_fn(cfg.get("dActFn", "ReLU"))
        in_dims = [img_ch] + [m * ch for m in D_IN[img_size]]
        out_dims = [m * ch for m in D_OUT[img_size]]
        blocks = []
        for i in range(len(in_dims)):
            if i == 0:
                blocks.append(wrap(OptBlock(in_dims[i], out_dims[i], sn, self.act)))
            else:
                blocks.append(wrap(ResBlock(in_dims[i], out_dims[i], sn, self.act, D_DOWN[img_size][i])))
            if cfg.get("applyAttn") and (i + 1) in cfg.get("attnDLoc", []):
                blocks.append(wrap(Attention(out_dims[i], sn)))
        self.blocks = nn.ModuleList(blocks)
        add_heads(self, cfg, out_dims[-1], num_classes)
        if cfg.get("dInit", "ortho"):
            init_all(self, cfg.get("dInit", "ortho"))

    def forward(self, x, y):
        h = x
        for wrapped in self.blocks:
            h = wrapped[0](h)
        h = self.act(h).sum(dim=[2, 3])
        return run_heads(self, self.cfg, h, y)


# ----------------------------------------------------------------------------- DCGAN
class OneHotBN(AffineBN):
    """StudioGAN master's DCGAN / ResNet cBN (commit 43b43f1, gCbnLayout 'linear'): AffineBN on the one-hot label."""

    def __init__(self, num_classes, features, sn):
        super().__init__(num_classes, features, sn)
        self.num_classes = num_classes

    def forward(self, x, y):
        return super().forward(x, F.one_hot(y, self.num_classes).to(x.dtype))


def class_bn(layout, num_classes, features, sn):
    return OneHotBN(num_classes, features, sn) if layout == "linear" else ClassBN(num_classes, features, sn)


class DCGenBlock(nn.Module):
    def __init__(self, cin, cout, cond, num_classes, sn, act, layout="embed"):
        super().__init__()
        self.cond = cond
        self.deconv0 = make_deconv(cin, cout, 4, sn, stride=2, padding=1)
        self.bn0 = class_bn(layout, num_classes, cout, sn) if cond == "cBN" else make_bn(cout)
        self.act = act

    def forward(self, x, y):
        h = self.deconv0(x)
        return self.act(self.bn0(h, y) if self.cond == "cBN" else self.bn0(h))


class DCGenerator(nn.Module):
    def __init__(self, cfg, img_size, img_ch, num_classes):
        super().__init__()
        g = 64 if cfg["gConvDim"] == "N/A" else cfg["gConvDim"]
        sn = cfg["applyGSn"]
        self.in_dims = [8 * g, 4 * g, 2 * g]
        out_dims = [4 * g, 2 * g, g]
        self.act = act_fn(cfg.get("gActFn", "ReLU"))
        self.linear0 = make_linear(cfg["zDim"], self.in_dims[0] * 16, sn)
        blocks = []
        for i in range(3):
            blocks.append(wrap(DCGenBlock(self.in_dims[i], out_dims[i], cfg["gCondMtd"], num_classes, sn, self.act,
                                          cfg.get("gCbnLayout", "embed"))))
            if cfg.get("applyAttn") and (i + 1) in cfg.get("attnGLoc", []):
                blocks.append(wrap(Attention(out_dims[i], sn)))
        self.blocks = nn.ModuleList(blocks)
        self.conv4 = make_conv(g, img_ch, 3, sn, padding=1)
        init_all(self, cfg.get("gInit", "ortho"))

    def forward(self, z, y):
        x = self.linear0(z).view(z.shape[0], self.in_dims[0], 4, 4)
        for wrapped in self.blocks:
            block = wrapped[0]
            x = block(x) if isinstance(block, Attention) else block(x, y)
        return torch.tanh(self.conv4(x))


class DCDiscBlock(nn.Module):
    def __init__(self, cin, cout, sn, act):
        super().__init__()
        self.sn, self.act = sn, act
        self.conv0 = make_conv(cin, cout, 3, sn, padding=1)
        self.conv1 = make_conv(cout, cout, 4, sn, stride=2, padding=1)
        if not sn:
            self.bn0, self.bn1 = make_bn(cout), make_bn(cout)

    def forward(self, x):
        h = self.conv0(x)
        h = self.act(h if self.sn else self.bn0(h))
        h = self.conv1(h)
        return self.act(h if self.sn else self.bn1(h))


class DCDiscriminator(nn.Module):
    def __init__(self, cfg, img_size, img_ch, num_classes):
        super().__init__()
        self.cfg = cfg
        d = 64 if cfg["dConvDim"] == "N/A" else cfg["dConvDim"]
        sn = cfg["applyDSn"]
        self.sn = sn
        self.act = act_fn(cfg.get("dActFn", "ReLU"))
        in_dims = [img_ch, d, 2 * d]
        out_dims = [d, 2 * d, 4 * d]
        blocks = []
        for i in range(3):
            blocks.append(wrap(DCDiscBlock(in_dims[i], out_dims[i], sn, self.act)))
            if cfg.get("applyAttn") and (i + 1) in cfg.get("attnDLoc", []):
                blocks.append(wrap(Attention(out_dims[i], sn)))
        self.blocks = nn.ModuleList(blocks)
        self.conv1 = make_conv(4 * d, 8 * d, 3, sn, padding=1)
        if not sn:
            self.bn1 = make_bn(8 * d)
        add_heads(self, cfg, 8 * d, num_classes)
        if cfg.get("dInit", "ortho"):
            init_all(self, cfg.get("dInit", "ortho"))

    def forward(self, x, y):
        h = x
        for wrapped in self.blocks:
            h = wrapped[0](h)
        h = self.conv1(h)
        h = self.act(h if self.sn else self.bn1(h)).sum(dim=[2, 3])
        return run_heads(self, self.cfg, h, y)


def build(cfg, data):
    args = (cfg, data["imgSize"], data["imgChannels"], data["numClasses"])
    if cfg["backbone"] == "deep_conv":
        return DCGenerator(*args), DCDiscriminator(*args)
    return ResGenerator(*args), ResDiscriminator(*args)


# ----------------------------------------------------------------------------- presets
DEFAULTS = {
    "backbone": "resnet", "gCondMtd": "W/O", "dCondMtd": "W/O", "auxClsType": "W/O",
    "normalizeDEmbed": False, "dEmbedDim": "N/A", "applyGSn": False, "applyDSn": False,
    "applyAttn": False, "attnGLoc": [], "attnDLoc": [], "zDim": 128, "gSharedDim": "N/A",
    "gConvDim": 64, "dConvDim": 64, "gInit": "ortho", "dInit": "ortho",
}

REACGAN_CIFAR10 = dict(DEFAULTS, backbone="big_resnet", gCondMtd="cBN", dCondMtd="D2DCE", normalizeDEmbed=True,
                       dEmbedDim=512, applyGSn=True, applyDSn=True, applyAttn=True, attnGLoc=[2], attnDLoc=[1],
                       zDim=80, gSharedDim=128, gConvDim=96, dConvDim=96)
REACGAN_TINY = dict(REACGAN_CIFAR10, dEmbedDim=768, attnGLoc=[3], zDim=100, gConvDim=80, dConvDim=80)
REACGAN_IMAGENET = dict(REACGAN_CIFAR10, dEmbedDim=2048, attnGLoc=[4], zDim=120)
CIFAR = {"imgSize": 32, "imgChannels": 3, "numClasses": 10}

PRESETS = [
    ("CIFAR10/ReACGAN", REACGAN_CIFAR10, CIFAR),
    ("Tiny_ImageNet/ReACGAN", REACGAN_TINY, {"imgSize": 64, "imgChannels": 3, "numClasses": 200}),
    ("ImageNet/ReACGAN-256", REACGAN_IMAGENET, {"imgSize": 128, "imgChannels": 3, "numClasses": 1000}),
    ("CIFAR10/ContraGAN", dict(REACGAN_CIFAR10, dCondMtd="2C"), CIFAR),
    ("CIFAR10/MHGAN", dict(REACGAN_CIFAR10, dCondMtd="MH", normalizeDEmbed=False, dEmbedDim="N/A"), CIFAR),
    ("CIFAR10/BigGAN-Mod", dict(REACGAN_CIFAR10, dCondMtd="PD", normalizeDEmbed=False, dEmbedDim="N/A"), CIFAR),
    ("CIFAR10/DCGAN", dict(DEFAULTS, backbone="deep_conv", gConvDim="N/A", dConvDim="N/A"), CIFAR),
    ("CIFAR10/SNGAN", dict(DEFAULTS, gCondMtd="cBN", dCondMtd="PD", applyDSn=True), CIFAR),
    ("CIFAR10/ACGAN-Mod", dict(DEFAULTS, gCondMtd="cBN", dCondMtd="AC"), CIFAR),
]

# The README grid: each backbone at 32 px with CIFAR10 settings, cBN in G, every D head,
# SN on G and D, D2DCE/2C embed 512 (big_resnet: ReACGAN's CIFAR10 settings; resnet: ch 64,
# z 128; deep_conv: StudioGAN's fixed widths, z 128).
GRID_BASE = {
    "deep_conv": dict(DEFAULTS, backbone="deep_conv", gCondMtd="cBN", gConvDim="N/A", dConvDim="N/A", applyGSn=True, applyDSn=True),
    "resnet": dict(DEFAULTS, gCondMtd="cBN", applyGSn=True, applyDSn=True),
    "big_resnet": dict(REACGAN_CIFAR10),
}
GRID_HEADS = ["W/O", "AC", "PD", "MH", "MD", "2C", "D2DCE"]


def grid_config(backbone, head):
    cfg = dict(GRID_BASE[backbone], dCondMtd=head)
    if head in ("2C", "D2DCE"):
        cfg["dEmbedDim"], cfg["normalizeDEmbed"] = 512, True
    else:
        cfg["dEmbedDim"], cfg["normalizeDEmbed"] = "N/A", False
    return cfg


def count(module):
    return int(sum(p.numel() for p in module.parameters()))


def keys_and_shapes(module):
    return [[k, list(v.shape)] for k, v in module.state_dict().items()]


def parameter_fixture():
    torch.manual_seed(0)
    out = {
        "provenance": {
            "script": "packages/models/scripts/studiogan_reference.py",
            "reference": "independent PyTorch transcription of POSTECH-CVLab/PyTorch-StudioGAN v.0.3.0 model structure "
                         "(src/models/{deep_conv,resnet,big_resnet}.py, src/utils/ops.py); deep_conv heads per commit 43b43f1",
            "torch": torch.__version__,
            "counting": "sum(p.numel() for p in module.parameters()) (StudioGAN misc.count_parameters); SN u/v are buffers",
        },
        "presets": [],
        "grid": [],
    }
    for name, cfg, data in PRESETS:
        with torch.device("meta"):
            G, D = build(cfg, data)
        out["presets"].append({
            "name": name, "config": cfg, "data": data,
            "generator": count(G), "discriminator": count(D),
            "generatorStateDict": keys_and_shapes(G), "discriminatorStateDict": keys_and_shapes(D),
        })
        print(f"{name:24s} G {count(G):>12,d}  D {count(D):>12,d}", file=sys.stderr)
    for backbone in ["deep_conv", "resnet", "big_resnet"]:
        for head in GRID_HEADS:
            cfg = grid_config(backbone, head)
            with torch.device("meta"):
                G, D = build(cfg, CIFAR)
            out["grid"].append({"backbone": backbone, "dCondMtd": head, "config": cfg, "data": CIFAR,
                                "generator": count(G), "discriminator": count(D)})
    return out


# ----------------------------------------------------------------------------- forward parity
PARITY = [
    ("deep_conv-d2dce", dict(DEFAULTS, backbone="deep_conv", gCondMtd="cBN", dCondMtd="D2DCE", normalizeDEmbed=True,
                             dEmbedDim=8, applyGSn=True, applyDSn=True, applyAttn=True, attnGLoc=[2], attnDLoc=[1],
                             zDim=8, gConvDim=4, dConvDim=8), {"imgSize": 32, "imgChannels": 3, "numClasses": 3}),
    ("deep_conv-pd-nosn", dict(DEFAULTS, backbone="deep_conv", gCondMtd="W/O", dCondMtd="PD", zDim=8, gConvDim=4,
                               dConvDim=4, dActFn="Leaky_ReLU"), {"imgSize": 32, "imgChannels": 1, "numClasses": 3}),
    ("resnet-ac-nosn", dict(DEFAULTS, gCondMtd="cBN", dCondMtd="AC", normalizeDEmbed=True, zDim=8, gConvDim=8, dConvDim=8,
                            applyAttn=True, attnGLoc=[1], attnDLoc=[1]), {"imgSize": 16, "imgChannels": 3, "numClasses": 4}),
    ("big_resnet-d2dce", dict(REACGAN_CIFAR10, dEmbedDim=8, zDim=12, gSharedDim=8, gConvDim=8, dConvDim=8, attnGLoc=[1],
                              attnDLoc=[1]), {"imgSize": 16, "imgChannels": 3, "numClasses": 4}),
    ("resnet-md-unconditional-g", dict(DEFAULTS, gCondMtd="W/O", dCondMtd="MD", zDim=8, gConvDim=8, dConvDim=8, applyGSn=True,
                                       applyDSn=True), {"imgSize": 8, "imgChannels": 3, "numClasses": 3}),
    ("big_resnet-2c-tac-adc", dict(REACGAN_CIFAR10, dCondMtd="2C", auxClsType="TAC", dEmbedDim=8, zDim=12, gSharedDim=8,
                                   gConvDim=8, dConvDim=8, applyAttn=False), {"imgSize": 16, "imgChannels": 3, "numClasses": 3}),
    ("resnet-ac-adc", dict(DEFAULTS, gCondMtd="cBN", dCondMtd="AC", auxClsType="ADC", zDim=8, gConvDim=8, dConvDim=8,
                           applyDSn=True), {"imgSize": 8, "imgChannels": 3, "numClasses": 3}),
    ("big_resnet-mh", dict(REACGAN_CIFAR10, dCondMtd="MH", normalizeDEmbed=False, dEmbedDim="N/A", zDim=12, gSharedDim=8,
                           gConvDim=8, dConvDim=8, applyAttn=False, gActFn="ELU", dActFn="GELU"),
     {"imgSize": 16, "imgChannels": 3, "numClasses": 2}),
]


def randomize_buffers(module, gen):
    """Non-trivial running statistics so eval-mode parity exercises them."""
    for name, b in module.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(torch.randn(b.shape, generator=gen) * 0.1)
        elif name.endswith("running_var"):
            b.copy_(torch.rand(b.shape, generator=gen) + 0.5)
        elif name.endswith("num_batches_tracked"):
            b.fill_(7)


def parity_fixture(name, cfg, data):
    from safetensors.torch import save_file

    torch.manual_seed(1234)
    G, D = build(cfg, data)
    gen = torch.Generator().manual_seed(99)
    n = 4
    with torch.no_grad():
        # Warm the SN vectors up (random u, v give a tiny sigma and huge, ill-conditioned outputs).
        G.train()
        D.train()
        for _ in range(3):
            zw = torch.randn(n, cfg["zDim"], generator=gen)
            yw = torch.randint(0, data["numClasses"], (n,), generator=gen)
            D(G(zw, yw), yw)
        for m in (G, D):
            randomize_buffers(m, gen)
            for pname, p in m.named_parameters():
                if pname.endswith("sigma"):
                    p.fill_(0.7)  # attention active
    z = torch.randn(n, cfg["zDim"], generator=gen)
    y = torch.tensor([0, 1, data["numClasses"] - 1, 1 % data["numClasses"]], dtype=torch.int64)
    x = torch.rand(n, data["imgChannels"], data["imgSize"], data["imgSize"], generator=gen) * 2 - 1
    tensors = {}
    for k, v in G.state_dict().items():
        tensors["G." + k] = v.clone()
    for k, v in D.state_dict().items():
        tensors["D." + k] = v.clone()
    tensors["input.z"] = z
    tensors["input.labels"] = y.to(torch.int32)
    tensors["input.x"] = x.permute(0, 2, 3, 1).contiguous()
    with torch.no_grad():
        G.eval()
        D.eval()
        tensors["eval.G"] = G(z, y).permute(0, 2, 3, 1).contiguous()
        for k, v in D(x, y).items():
            tensors["eval.D." + k] = v
        G.train()
        D.train()
        tensors["train.G"] = G(z, y).permute(0, 2, 3, 1).contiguous()
        for k, v in D(x, y).items():
            tensors["train.D." + k] = v
        for k, v in G.state_dict().items():
            if k.endswith(("weight_u", "weight_v", "running_mean", "running_var", "num_batches_tracked")):
                tensors["after.G." + k] = v.clone()
        for k, v in D.state_dict().items():
            if k.endswith(("weight_u", "weight_v", "running_mean", "running_var", "num_batches_tracked")):
                tensors["after.D." + k] = v.clone()
    tensors = {k: (v.to(torch.int32) if v.dtype in (torch.int64, torch.int32) else v.float()).contiguous().clone() for k, v in tensors.items()}
    meta = {"config": json.dumps(cfg), "data": json.dumps(data), "torch": torch.__version__,
            "script": "packages/models/scripts/studiogan_reference.py"}
    path = os.path.join(FIXTURES, f"parity-{name}.safetensors")
    save_file(tensors, path, metadata=meta)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    fixture = parameter_fixture()
    with open(os.path.join(FIXTURES, "studiogan-parameters.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    for name, cfg, data in PARITY:
        parity_fixture(name, cfg, data)


if __name__ == "__main__":
    main()
