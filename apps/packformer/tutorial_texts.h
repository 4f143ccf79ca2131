// The inputs of PyTorch's "Fast Transformer Inference with Better Transformer" tutorial
// (public-domain text: the opening of War and Peace, as the tutorial quotes it).
#pragma once

#include <string>
#include <vector>

namespace packformer::cli {

inline const char* const kWarAndPeace = R"(`Well, Prince, so Genoa and Lucca are now just family estates of the
Buonapartes. But I warn you, if you don't tell me that this means war,
if you still try to defend the infamies and horrors perpetrated by
that Antichrist- I really believe he is Antichrist- I will have
nothing more to do with you and you are no longer my friend, no longer
my 'faithful slave,' as you call yourself! But how do you do? I see
I have frightened you- sit down and tell me all the news.`

It was in July, 1805, and the speaker was the well-known Anna
Pavlovna Scherer, maid of honor and favorite of the Empress Marya
Fedorovna. With these words she greeted Prince Vasili Kuragin, a man
of high rank and importance, who was the first to arrive at her
reception. Anna Pavlovna had had a cough for some days. She was, as
she said, suffering from la grippe; grippe being then a new word in
St. Petersburg, used only by the elite.)";

// small_input_batch
inline std::vector<std::string> tutorial_small_batch() { return {"Hello world", "How are you!"}; }

// big_input_batch
inline std::vector<std::string> tutorial_big_batch() { return {"Hello world", "How are you!", kWarAndPeace}; }

}  // namespace packformer::cli
